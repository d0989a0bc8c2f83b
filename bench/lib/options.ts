/** The bench's command-line flags, validated: every load run stays bounded in time. */
import { parseArgs } from 'node:util';
import { APP_SCENARIOS, type ScenarioName } from './scenarios.js';

export interface BenchOptions {
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
  postgres: boolean;
  embedded: boolean;
  scenarios: ScenarioName[];
  baselines: boolean;
  /** Run the peers (bench/peers/) next to the API on the PostgreSQL target. */
  peers: boolean;
  explain: boolean;
  profile: boolean;
  cluster: boolean;
  /** GET through nginx in front of three instances (test/deploy/fleet.ts) against one directly. */
  fleet: boolean;
  /** Page 1 against page 500, by number (OFFSET) and by cursor. */
  pages: boolean;
  coldStart: boolean;
  workers: number;
  seed: { users: number; bucketlists: number; items: number };
  benchUsers: number;
  adminUrl: string;
  /** The bench database's name starts with it (then the time and the pid). */
  databasePrefix: string;
  /** Where the bench's servers listen; any free port when not given. */
  ports?: { from: number; to: number };
  logLevel: string;
  /** Extra environment for the API processes (KEY=VALUE), reported with the results. */
  appEnv: Record<string, string>;
  build: boolean;
  runtime: 'dist' | 'tsx';
  loadGenerator: 'auto' | 'wrk' | 'autocannon';
  keep: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [flags]

  --rounds N            measured rounds per scenario; medians are quoted (default 3)
  --warmup S            warm-up seconds before each measured run, 0-15 (default 3)
  --duration S          measured seconds per run, 1-15 (default 10)
  --connections N       concurrent connections (default 50)
  --embedded            also run every scenario on the embedded PGlite (temporary DATA_DIR)
  --no-postgres         skip the PostgreSQL target (and so the baselines, peers, explain, cluster,
                        fleet and pages)
  --scenarios a,b       only these app scenarios (${APP_SCENARIOS.join(', ')})
  --no-baselines        skip the hello-world and hand-written baselines
  --no-peers            skip the peers (Platformatic DB, NestJS), which otherwise run with the
                        PostgreSQL target on the GET and the list page; each is installed on
                        demand with \`npm ci --prefix bench/peers/<name>\` (its own package.json
                        and lock; NestJS is then built with its own TypeScript)
  --no-explain          skip EXPLAIN ANALYZE of the list queries (bench/plans/)
  --no-profile          skip the --cpu-prof run of GET /v1/bucketlists/:id
  --no-cluster          skip the node:cluster run (src/cluster.ts)
  --no-fleet            skip the fleet: GET /v1/bucketlists/:id through nginx in front of three
                        instances on PgBouncer and Redis (test/deploy/fleet.ts), and against one
                        of them directly; skipped, saying why, without nginx, pgbouncer (tried
                        with apt-get) or Redis on 127.0.0.1:6379
  --no-pages            skip page 1 against page 500 of a list, by number (OFFSET) and by cursor,
                        for one user of 10,020 bucketlists added for it
  --no-cold-start       skip the cold start measurements
  --workers N           cluster workers (default 2)
  --users N --bucketlists N --items N   seed sizes (default 100, 100 per user, 10 per bucketlist)
  --bench-users N       seeded users whose rows the scenarios spread over (default 10)
  --admin-url URL       PostgreSQL server to create the bench database on
                        (default postgres://postgres@127.0.0.1:5432/postgres)
  --database-prefix P   the bench database's name prefix (default bucketlist_bench)
  --ports FROM-TO       the ports the servers listen on, on 127.0.0.1 (default: any free port)
  --log-level LEVEL     the API's LOG_LEVEL (default info, as in production)
  --app-env KEY=VALUE   extra environment for the API (repeatable; reported with the results)
  --no-build            do not run \`npm run build\` first (dist/ must be current)
  --runtime dist|tsx    run the compiled dist/server.js (default) or src/server.ts through tsx
  --load-generator auto|wrk|autocannon   (default auto: wrk, installed with apt-get if missing)
  --keep                keep the database and temporary folder (for inspection)
`;

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return number;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function portRange(value: string | undefined): { from: number; to: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(value);
  const [from, to] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || from < 1024 || to > 65_535 || from > to) {
    throw new Error(`--ports wants FROM-TO, two ports from 1024 to 65535, not ${JSON.stringify(value)}`);
  }
  return { from, to };
}

function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--app-env wants KEY=VALUE, not ${JSON.stringify(pair)}`);
    env[match[1] as string] = match[2] as string;
  }
  return env;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      postgres: { type: 'boolean', default: true },
      embedded: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      baselines: { type: 'boolean', default: true },
      peers: { type: 'boolean', default: true },
      explain: { type: 'boolean', default: true },
      profile: { type: 'boolean', default: true },
      cluster: { type: 'boolean', default: true },
      fleet: { type: 'boolean', default: true },
      pages: { type: 'boolean', default: true },
      'cold-start': { type: 'boolean', default: true },
      workers: { type: 'string' },
      users: { type: 'string' },
      bucketlists: { type: 'string' },
      items: { type: 'string' },
      'bench-users': { type: 'string' },
      'admin-url': { type: 'string' },
      'database-prefix': { type: 'string' },
      ports: { type: 'string' },
      'log-level': { type: 'string' },
      'app-env': { type: 'string', multiple: true },
      build: { type: 'boolean', default: true },
      runtime: { type: 'string' },
      'load-generator': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const scenarios = (values.scenarios?.split(',').map((name) => name.trim()) ?? [...APP_SCENARIOS]) as ScenarioName[];
  for (const name of scenarios) {
    if (!APP_SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name} (known: ${APP_SCENARIOS.join(', ')})`);
  }
  const options: BenchOptions = {
    rounds: integer('rounds', values.rounds, 3, 1, 20),
    warmupSeconds: integer('warmup', values.warmup, 3, 0, 15),
    durationSeconds: integer('duration', values.duration, 10, 1, 15),
    connections: integer('connections', values.connections, 50, 1, 1000),
    postgres: values.postgres,
    embedded: values.embedded,
    scenarios,
    baselines: values.baselines,
    peers: values.peers,
    explain: values.explain,
    profile: values.profile,
    cluster: values.cluster,
    fleet: values.fleet,
    pages: values.pages,
    coldStart: values['cold-start'],
    workers: integer('workers', values.workers, 2, 1, 64),
    seed: {
      users: integer('users', values.users, 100, 1, 1_000_000),
      bucketlists: integer('bucketlists', values.bucketlists, 100, 1, 100_000),
      items: integer('items', values.items, 10, 1, 100_000),
    },
    benchUsers: integer('bench-users', values['bench-users'], 10, 1, 1000),
    adminUrl: values['admin-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    databasePrefix: values['database-prefix'] ?? 'bucketlist_bench',
    ports: portRange(values.ports),
    logLevel: oneOf(
      'log-level',
      values['log-level'],
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    appEnv: parseEnvPairs(values['app-env'] ?? []),
    build: values.build,
    runtime: oneOf('runtime', values.runtime, ['dist', 'tsx'], 'dist'),
    loadGenerator: oneOf('load-generator', values['load-generator'], ['auto', 'wrk', 'autocannon'], 'auto'),
    keep: values.keep,
    help: values.help,
  };
  if (!options.postgres && !options.embedded) throw new Error('nothing to measure: --no-postgres without --embedded');
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(options.databasePrefix)) {
    throw new Error('--database-prefix wants lower-case letters, digits and _ (up to 31), starting with a letter');
  }
  if (options.benchUsers > options.seed.users) throw new Error('--bench-users cannot exceed --users');
  return options;
}
