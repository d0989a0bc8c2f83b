/**
 * Baselines written by hand, with the least work the contract allows: verify the HS256 access
 * token with fast-jwt (what @fastify/jwt uses, same options), run one owner-scoped statement,
 * and return the row as JSON. No logger, no schema, no session check, no ORM.
 * - GET /v1/bucketlists/:id: one SELECT; the app's single GET is measured against it.
 * - GET /v1/bucketlists?page=&page_size=: the app's list statement (a page by id descending, with
 *   the total in the same statement); it shows what twenty rows cost a request at all, which
 *   bounds the app's list page.
 * - POST /v1/bucketlists/:id/items: the app's INSERT (with its item_count trigger and foreign
 *   key); it shows what the database allows a write, which bounds the app's POST.
 * With DATABASE_URL the statements go through postgres.js (prepared); with DATA_DIR instead,
 * through PGlite in this process (started with the app's settings, src/db/embedded.ts), which
 * shows what the embedded database allows a request.
 */
import { createVerifier } from 'fast-jwt';
import Fastify from 'fastify';
import postgres from 'postgres';

const { DATABASE_URL, DATA_DIR, JWT_SECRET } = process.env;
if (!(DATABASE_URL || DATA_DIR) || !JWT_SECRET)
  throw new Error('DATABASE_URL or DATA_DIR, and JWT_SECRET, are required');

type Row = Record<string, unknown>;
type Query = (text: string, params: (string | number | boolean)[]) => Promise<Row[]>;

async function connect(): Promise<{ query: Query; close: () => Promise<void> }> {
  if (DATABASE_URL) {
    // The pipeline depth the API uses (SHALLOW_PIPELINE in src/db/client.ts: the default
    // degrades under sustained load), so the ratio measures the API's own work.
    const pipeline = { max_pipeline: 2 };
    const sql = postgres(DATABASE_URL, {
      max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
      onnotice: () => {},
      ...pipeline,
    });
    return {
      query: (text, params) => sql.unsafe(text, params, { prepare: true }),
      close: () => sql.end({ timeout: 5 }),
    };
  }
  // Loaded only on this path, as the app does, so the PostgreSQL baseline's memory holds no PGlite.
  const { startPGlite } = await import('../../src/db/embedded.js');
  const db = await startPGlite(DATA_DIR);
  return { query: async (text, params) => (await db.query<Row>(text, params)).rows, close: () => db.close() };
}

const database = await connect();
const verify = createVerifier({ key: JWT_SECRET, algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], cache: true });
const BEARER = /^bearer +(\S+)$/i;

/** The caller's user id, or undefined when the token does not verify. */
function ownerOf(authorization: string | undefined): number | undefined {
  try {
    return Number((verify(BEARER.exec(authorization ?? '')?.[1] ?? '') as { sub: string }).sub);
  } catch {
    return undefined;
  }
}

const isId = (id: number) => Number.isInteger(id) && id >= 1 && id <= 2_147_483_647;

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));

app.get<{ Params: { id: string } }>('/v1/bucketlists/:id', async (request, reply) => {
  const ownerId = ownerOf(request.headers.authorization);
  if (ownerId === undefined) return reply.code(401).send({ status: 401 });
  const id = Number(request.params.id);
  if (!isId(id)) return reply.code(400).send({ status: 400 });
  const [row] = await database.query(
    `select id, name, description, item_count, created_at, updated_at
     from bucketlists where id = $1 and owner_id = $2`,
    [id, ownerId],
  );
  if (!row) return reply.code(404).send({ status: 404 });
  return row;
});

app.get<{ Querystring: { page?: string; page_size?: string } }>('/v1/bucketlists', async (request, reply) => {
  const ownerId = ownerOf(request.headers.authorization);
  if (ownerId === undefined) return reply.code(401).send({ status: 401 });
  const page = Number(request.query.page ?? 1);
  const pageSize = Number(request.query.page_size ?? 20);
  if (!isId(page) || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    return reply.code(400).send({ status: 400 });
  }
  const rows = await database.query(
    `select id, name, description, item_count, created_at, updated_at,
       (select count(*)::int from bucketlists where owner_id = $1) as total
     from bucketlists where owner_id = $1 order by id desc limit $2 offset $3`,
    [ownerId, pageSize, (page - 1) * pageSize],
  );
  const total = rows[0]?.total ?? 0;
  return { items: rows.map(({ total: _total, ...row }) => row), page, page_size: pageSize, total };
});

app.post<{ Params: { id: string }; Body: { name: string; done?: boolean } }>(
  '/v1/bucketlists/:id/items',
  async (request, reply) => {
    const ownerId = ownerOf(request.headers.authorization);
    if (ownerId === undefined) return reply.code(401).send({ status: 401 });
    const id = Number(request.params.id);
    const { name, done = false } = request.body;
    if (!isId(id) || typeof name !== 'string') return reply.code(400).send({ status: 400 });
    try {
      const [row] = await database.query(
        `insert into items (bucketlist_id, owner_id, name, name_folded, done)
         values ($1, $2, $3, $4, $5)
         returning id, bucketlist_id, name, done, created_at, updated_at`,
        [id, ownerId, name, name.toLowerCase(), done],
      );
      return reply.code(201).send(row);
    } catch {
      // The composite foreign key refuses another owner's bucketlist.
      return reply.code(404).send({ status: 404 });
    }
  },
);

process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3002) });
