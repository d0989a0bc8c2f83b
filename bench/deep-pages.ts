/**
 * Page 1 against page 500 of a bucketlist list, by page number (OFFSET) and by cursor (keyset),
 * through the real app (in-process, `inject`) on PostgreSQL: one user with 10,020 bucketlists,
 * each page requested in a loop for a fixed time, median and p95 latency reported, and the list
 * statements' EXPLAIN (ANALYZE, BUFFERS) totals. The app's own cost per request is the same for
 * all four, so the differences are the database's.
 *
 * `npm run bench:pages -- [--duration S] [--admin-url URL] [--sort -id|name]`
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migratePostgres } from '../src/db/migrate.js';
import * as schema from '../src/db/schema.js';
import { createRepositories } from '../src/repositories/index.js';
import { createDatabase, databaseUrl, dropDatabase } from './lib/database.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    sort: { type: 'string', default: '-id' },
  },
});
const seconds = Number(values.duration);
const adminUrl = values['admin-url'] as string;
const sort = values.sort as string;
const PAGE_SIZE = 20;
const DEEP_PAGE = 500;
const ROWS = PAGE_SIZE * DEEP_PAGE + PAGE_SIZE;

const name = `scale_bench_pages_${randomBytes(3).toString('hex')}`;
await createDatabase(adminUrl, name);
const url = databaseUrl(adminUrl, name);
try {
  await migratePostgres(url);
  const { config } = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_MAX: '1000',
  });
  const app = await buildApp(config, { logger: false });
  const credentials = { email: 'deep@example.com', password: 'correct horse battery', name: 'Deep' };
  await app.inject({ method: 'POST', url: '/v1/auth/register', payload: credentials });
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: credentials.email, password: credentials.password },
  });
  const headers = { authorization: `Bearer ${login.json<{ access_token: string }>().access_token}` };
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`
    insert into bucketlists (owner_id, name, name_folded)
    select u.id, 'List ' || n, 'list ' || n from users u, generate_series(1, ${ROWS}) n`;
  await sql`vacuum analyze bucketlists`;

  const list = `/v1/bucketlists?page_size=${PAGE_SIZE}&sort=${encodeURIComponent(sort)}`;
  const nextOf = (link: string | undefined) => /<([^>]*)>; rel="next"/.exec(link ?? '')?.[1];
  // The cursor of page 500: follow the next links from the first cursor page.
  let deepCursorUrl = `${list}&cursor=`;
  for (let page = 1; page < DEEP_PAGE; page++) {
    const response = await app.inject({ method: 'GET', url: deepCursorUrl, headers });
    deepCursorUrl = nextOf(response.headers.link as string) as string;
  }
  const cases = [
    { label: `page 1 by number`, url: `${list}&page=1` },
    { label: `page ${DEEP_PAGE} by number (OFFSET ${(DEEP_PAGE - 1) * PAGE_SIZE})`, url: `${list}&page=${DEEP_PAGE}` },
    { label: `page 1 by cursor`, url: `${list}&cursor=` },
    { label: `page ${DEEP_PAGE} by cursor (keyset)`, url: deepCursorUrl },
  ];

  console.log(`${ROWS} bucketlists of one user, page_size ${PAGE_SIZE}, sort ${sort}, ${seconds} s per case`);
  console.log('| case | requests | median ms | p95 ms |');
  console.log('|---|---|---|---|');
  for (const entry of cases) {
    const first = await app.inject({ method: 'GET', url: entry.url, headers });
    if (first.statusCode !== 200 || first.json<{ items: unknown[] }>().items.length !== PAGE_SIZE) {
      throw new Error(`${entry.label}: ${first.statusCode} ${first.body.slice(0, 200)}`);
    }
    const times: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      const start = performance.now();
      await app.inject({ method: 'GET', url: entry.url, headers });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(2);
    console.log(`| ${entry.label} | ${times.length} | ${at(0.5)} | ${at(0.95)} |`);
  }
  console.log('\nThe list statement under EXPLAIN (ANALYZE, BUFFERS):\n');
  console.log('| statement | buffers | execution ms |');
  console.log('|---|---|---|');
  for (const plan of await explainPages(url)) console.log(`| ${plan.label} | ${plan.buffers} | ${plan.ms} |`);
  await sql.end();
  await app.close();
} finally {
  await dropDatabase(adminUrl, name);
}

/**
 * The list statements of page 1 and page 500 both ways, as the repository issues them (captured
 * by a Drizzle logger), each run again under EXPLAIN (ANALYZE, BUFFERS): buffers touched and
 * execution time.
 */
async function explainPages(url: string) {
  const captured: { query: string; params: unknown[] }[] = [];
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const db = drizzle(client, { schema, logger: { logQuery: (query, params) => captured.push({ query, params }) } });
  const { bucketlists, sessions } = createRepositories(db);
  const [owner] = await client<{ id: number }[]>`select id from users limit 1`;
  const viewer = { userId: owner?.id as number, sessionId: randomUUID() };
  await sessions.create({
    ...viewer,
    id: viewer.sessionId,
    expiresAt: new Date(Date.now() + 3_600_000),
    refreshTokenHash: viewer.sessionId,
  });
  const before = await bucketlists.list(viewer, { scope: 'owned', page: DEEP_PAGE - 1, pageSize: PAGE_SIZE, sort });
  const boundary = bucketlists.boundaryOf(sort, before.rows.at(-1) as (typeof before.rows)[number]);
  const shapes = [
    { label: 'page 1 by number', options: { page: 1 } },
    { label: `page ${DEEP_PAGE} by number`, options: { page: DEEP_PAGE } },
    {
      label: `page ${DEEP_PAGE} by cursor`,
      options: { page: DEEP_PAGE, after: { ...boundary, direction: 'next' as const } },
    },
  ];
  const results = [];
  for (const shape of shapes) {
    captured.length = 0;
    await bucketlists.list(viewer, { scope: 'owned', pageSize: PAGE_SIZE, sort, ...shape.options });
    const statement = captured.at(-1) as { query: string; params: unknown[] };
    const [row] = await client.unsafe(
      `explain (analyze, buffers, format json) ${statement.query}`,
      statement.params as never[],
    );
    const [plan] = (row as unknown as { 'QUERY PLAN': { Plan: Record<string, number>; 'Execution Time': number }[] })[
      'QUERY PLAN'
    ];
    results.push({
      label: shape.label,
      buffers: (plan?.Plan['Shared Hit Blocks'] ?? 0) + (plan?.Plan['Shared Read Blocks'] ?? 0),
      ms: plan?.['Execution Time'].toFixed(3),
    });
  }
  await client.end();
  return results;
}
