/**
 * Prepared statements for PGlite. PGlite's own query() makes six exchanges with its WebAssembly
 * backend per statement (parse, describe, bind, describe, execute, sync), and PostgreSQL parses
 * and plans the statement every time. Here each distinct statement text is parsed once, under a
 * name; from then on it runs as Bind, Describe, Execute and Sync in one exchange, which is how
 * postgres.js runs the same statements on a server. Transactions keep PGlite's own path.
 */
import { type PGlite, parse, protocol, type QueryOptions, type Results } from '@electric-sql/pglite';

/** Past this many distinct statements, new ones run unprepared: each name holds backend memory. */
export const MAX_PREPARED_STATEMENTS = 1000;

interface Prepared {
  name: string;
  paramTypes: number[];
}

const { serialize } = protocol;
// The caller's query() syncs the file system once it has the result, as PGlite's own does.
const NO_SYNC = { syncToFs: false };
const ARRAY_ROWS: QueryOptions = { rowMode: 'array' };

/**
 * The client as Drizzle should see it: PGlite itself, except for a query() that runs statements
 * prepared. That query() takes PGlite's transaction and query locks, as PGlite's own does, so it
 * never interleaves with a transaction or another statement.
 */
export function withPreparedStatements(client: PGlite, limit = MAX_PREPARED_STATEMENTS): PGlite {
  const statements = new Map<string, Prepared>();
  // PGlite's parseResults copies the client's parsers (one per type, arrays included) under the
  // query's own on every call. Drizzle passes the same options object for every run of a
  // statement, so the merged parsers are made once per options object instead. (PGlite fills its
  // parsers at start; only refreshArrayTypes(), which this app never calls, changes them later.)
  const parsersFor = new WeakMap<QueryOptions, PGlite['parsers']>();
  const mergedParsers = (options: QueryOptions | undefined): PGlite['parsers'] => {
    if (!options?.parsers) return client.parsers;
    let parsers = parsersFor.get(options);
    if (!parsers) parsersFor.set(options, (parsers = { ...client.parsers, ...options.parsers }));
    return parsers;
  };

  async function prepare(text: string): Promise<Prepared> {
    const name = `bucketlist_${statements.size + 1}`;
    const { messages } = await client.execProtocol(
      Buffer.concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      NO_SYNC,
    );
    const statement = { name, paramTypes: parse.parseDescribeStatementResults(messages) };
    statements.set(text, statement);
    return statement;
  }

  async function run<T>(statement: Prepared, params: unknown[], options?: QueryOptions): Promise<Results<T>> {
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const type = statement.paramTypes[index] as number;
      const serializer = options?.serializers?.[type] ?? client.serializers[type];
      return serializer ? serializer(value) : String(value);
    });
    const { messages } = await client.execProtocol(
      Buffer.concat([
        serialize.bind({ statement: statement.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
      NO_SYNC,
    );
    const rowMode = options?.rowMode === 'array' ? ARRAY_ROWS : undefined;
    return parse.parseResults(messages, mergedParsers(options), rowMode)[0] as Results<T>;
  }

  async function query<T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    if (!statements.has(text) && statements.size >= limit) return client.query<T>(text, params, options);
    await client._checkReady();
    const result = await client._runExclusiveTransaction(() =>
      client._runExclusiveQuery(async () => run<T>(statements.get(text) ?? (await prepare(text)), params, options)),
    );
    await client.syncToFs();
    return result;
  }

  return new Proxy(client, {
    get(target, key) {
      if (key === 'query') return query;
      const value: unknown = Reflect.get(target, key, target);
      // PGlite's methods use private fields: they must run on the instance, not on the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
