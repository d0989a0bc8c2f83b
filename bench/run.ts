/**
 * `npm run bench`: measures the real server, built as in production (dist/server.js), on a fresh
 * PostgreSQL database (and with --embedded on a temporary PGlite folder) seeded by
 * `npm run db:seed`, against two baselines started in the same run: a bare Fastify hello world
 * and a hand-written Fastify + postgres.js GET. Servers run on core 0 (taskset -c 0), wrk on
 * core 1; every run is bounded in time. Also: cold starts, the node:cluster mode, EXPLAIN plans
 * of the list queries, and a CPU profile of the single GET. Results go to bench/results/.
 * `npm run bench -- --help` lists the flags.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSigner } from 'fast-jwt';
import { fleetPartsMissing, missingPrograms, startFleet } from '../test/deploy/fleet.js';
import { describePlans, explainDeepPages, explainListQueries } from './explain.js';
import { itemEtags, logIn, shareForBench } from './lib/api.js';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  type Fixture,
  loadFixture,
  openEmbeddedRows,
  openPostgresRows,
  type Rows,
} from './lib/database.js';
import { findLoadGenerator, type LoadGenerator, runLoad } from './lib/load.js';
import type { ScriptedRequest } from './lib/lua-data.js';
import { type BenchOptions, parseOptions, USAGE } from './lib/options.js';
import {
  lockStamp,
  needsInstall,
  PEER_SCENARIOS,
  type Peer,
  type PeerAnswer,
  PEERS,
  parsePeerScenario,
  peerCheckRequests,
  peerScenario,
} from './lib/peers.js';
import {
  addDeepUser,
  DEEP_PAGE,
  DEEP_ROWS,
  PAGE_SIZE,
  type PageCase,
  PAGES_SORT,
  pageCases,
  removeDeepUser,
} from './lib/pages.js';
import { portPicker } from './lib/ports.js';
import {
  aptInstall,
  logTail,
  runCommand,
  type Started,
  sampleRss,
  startProcess,
  stopAll,
  stopProcess,
  waitForOk,
} from './lib/processes.js';
import {
  type CpuProfile,
  costPerRequest,
  renderCostText,
  renderProfileText,
  sourceMapResolver,
  summariseProfile,
} from './lib/profile.js';
import {
  type BenchReport,
  type ColdStartSummary,
  evaluateGoals,
  type FleetSummary,
  fleetSummary,
  HANDWRITTEN,
  HELLO,
  median,
  type PagesSummary,
  type PlanSummary,
  pagingSummary,
  type ProfileSummary,
  type RoundMeasurement,
  renderMarkdown,
  renderRatioSvg,
  summariseScenario,
  type Target,
  withRatios,
} from './lib/report.js';
import { BENCH_ITEM_NAME, type BaselineName, LABELS, type ScenarioName, scenarioRequests } from './lib/scenarios.js';
import { productionNodeFlags } from './lib/start-command.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(REPO, 'bench', 'results');
const SERVER_CPUS = '0';
const LOAD_CPUS = '1';
const CLUSTER_CPUS = '0,1';

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const benchStart = performance.now();
const log = (line: string) => {
  const seconds = ((performance.now() - benchStart) / 1000).toFixed(0).padStart(4);
  console.log(`[bench ${seconds}s] ${line}`);
};

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '_').toLowerCase();
const workDir = mkdtempSync(join(tmpdir(), 'bucketlist-bench-'));
mkdirSync(join(workDir, 'logs'));
const jwtSecret = randomBytes(48).toString('hex');
const TSX_LOADER = import.meta.resolve('tsx');

/** Undone in reverse order at the end, on failure and on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp() {
  await stopAll();
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: Error) => console.error(`bench: cleanup failed: ${error.message}`));
  }
  cleanups.length = 0;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}, stopping what it started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// What every child process gets: nothing from the caller's environment but the basics, so a
// DATABASE_URL or LOG_LEVEL in the caller's shell cannot leak into a measurement.
const baseEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LANG: 'C.UTF-8',
  NODE_ENV: 'production',
});

type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

// An empty DATABASE_URL counts as unset, and keeps a DATABASE_URL in a .env file from applying.
const databaseEnv = (database: DatabaseTarget): NodeJS.ProcessEnv =>
  database.kind === 'postgres' ? { DATABASE_URL: database.url } : { DATABASE_URL: '', DATA_DIR: database.dataDir };

function appEnv(database: DatabaseTarget, port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    ...databaseEnv(database),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: options.logLevel,
    JWT_SECRET: jwtSecret,
    // The bench logs in before every round; an hour covers the longest run.
    ACCESS_TOKEN_TTL: '3600',
    // Login is rate-limited per client address (10/min by default); the bench is one address.
    AUTH_RATE_LIMIT_MAX: '1000000000',
    ...options.appEnv,
    ...extra,
  };
}

const handwrittenEnv = (url: string, port: number) => ({
  ...baseEnv(),
  PORT: String(port),
  DATABASE_URL: url,
  JWT_SECRET: jwtSecret,
});
const handwrittenArgs = () => ['--import', TSX_LOADER, join(REPO, 'bench', 'baselines', 'handwritten.ts')];

/** The production flags (those of `npm start`), then `nodeFlags`, then the entry point. */
const PRODUCTION_NODE_FLAGS = productionNodeFlags(REPO);

/** `node [flags] dist/<entry>.js`, or src/<entry>.ts through tsx with --runtime tsx. */
function appArgs(entry: 'server' | 'cluster', nodeFlags: string[] = []): string[] {
  const flags = [...PRODUCTION_NODE_FLAGS, ...nodeFlags];
  return options.runtime === 'dist'
    ? [...flags, join(REPO, 'dist', `${entry}.js`)]
    : [...flags, '--import', TSX_LOADER, join(REPO, 'src', `${entry}.ts`)];
}

/** What a load run is aimed at: its address, and the processes that serve it. */
interface LoadTarget {
  name: string;
  baseUrl: string;
  /** The processes whose RSS is sampled (summed) during the measured run. */
  pids: number[];
  includeChildren: boolean;
  /** The end of its log, for the error when no request completed. */
  logTail(): string;
  /** Empties its log after a run: the log only matters when something fails. */
  clearLog(): void;
}

interface Server extends LoadTarget {
  started: Started;
  startMs: number;
}

const nextPort = portPicker(options.ports);

async function startServer(
  name: string,
  args: string[],
  env: (port: number) => NodeJS.ProcessEnv,
  cpuList = SERVER_CPUS,
  includeChildren = false,
  readyPath = '/healthz',
): Promise<Server> {
  const port = await nextPort();
  const started = startProcess({
    name,
    cpus: cpuList,
    command: process.execPath,
    args,
    env: env(port),
    // Not the repository: a .env there must not change what is measured.
    cwd: workDir,
    logFile: join(workDir, 'logs', `${name}.log`),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const startMs = await waitForOk(started, `${baseUrl}${readyPath}`, 120_000);
  return {
    name,
    started,
    baseUrl,
    startMs,
    pids: [started.pid],
    includeChildren,
    logTail: () => logTail(started),
    clearLog: () => truncateSync(started.logFile, 0),
  };
}

let generator: LoadGenerator;
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
/** When the last measured run ran, on the clock CPU profiles use. */
let lastMeasuredWindow = { startMicros: 0, endMicros: 0 };

/** A warm-up run, then a measured run with the server's RSS sampled throughout. */
async function measure(
  target: LoadTarget,
  build: () => Promise<ScriptedRequest[]>,
  trackEtags = false,
): Promise<RoundMeasurement> {
  const run = async (durationSeconds: number) =>
    runLoad(generator, {
      baseUrl: target.baseUrl,
      requests: await build(),
      trackEtags,
      durationSeconds,
      connections: options.connections,
      cpus: LOAD_CPUS,
      workDir,
    });
  if (options.warmupSeconds > 0) await run(options.warmupSeconds);
  const sampler = sampleRss(target.pids, { includeChildren: target.includeChildren });
  let result: Awaited<ReturnType<typeof run>>;
  let maxRssMb: number;
  const startMicros = monotonicMicros();
  try {
    result = await run(options.durationSeconds);
  } finally {
    maxRssMb = sampler.stop();
    lastMeasuredWindow = { startMicros, endMicros: monotonicMicros() };
  }
  if (result.requests === 0) throw new Error(`${target.name}: no request completed:\n${target.logTail()}`);
  target.clearLog();
  return { ...result, maxRssMb };
}

const rounds = new Map<string, { target: Target; scenario: string; rounds: RoundMeasurement[] }>();
function record(target: Target, scenario: string, measurement: RoundMeasurement) {
  const key = `${target}/${scenario}`;
  const entry = rounds.get(key) ?? { target, scenario, rounds: [] };
  entry.rounds.push(measurement);
  rounds.set(key, entry);
  logMeasurement(key, measurement);
}

/** One line per measured run, as it ends. */
function logMeasurement(key: string, measurement: RoundMeasurement) {
  const statuses = measurement.statuses ? ` statuses ${JSON.stringify(measurement.statuses)}` : '';
  const failed = measurement.non2xx > 0 ? ` non-2xx ${measurement.non2xx}` : '';
  log(
    `  ${key}: ${measurement.okRequestsPerSecond.toFixed(0)} ok req/s (${measurement.requestsPerSecond.toFixed(0)} all), p50 ${measurement.latencyP50Ms.toFixed(2)} ms, p99 ${measurement.latencyP99Ms.toFixed(2)} ms, RSS ${measurement.maxRssMb.toFixed(1)} MB${failed}${statuses}`,
  );
}

/**
 * One round of the hand-written baseline: its GET always, its list page and its POST when the
 * app's scenario runs too and a baseline name is given for it.
 */
async function measureHandwritten(
  server: Server,
  fixture: Fixture,
  tokens: Map<number, string>,
  names: { 'get-bucketlist': BaselineName } & Partial<Record<'list-bucketlists' | 'post-item', BaselineName>>,
) {
  for (const scenario of ['get-bucketlist', 'list-bucketlists', 'post-item'] as const) {
    const name = names[scenario];
    if (!name || (scenario !== 'get-bucketlist' && !options.scenarios.includes(scenario))) continue;
    const requests = async () => scenarioRequests(scenario, { fixture, tokens, password: '' });
    record('baseline', name, await measure(server, requests));
  }
}

/** Measures one app scenario once, with requests spread over the bench users' rows. */
function scenarioRun(
  server: Server,
  name: ScenarioName,
  fixture: Fixture,
  tokens: Map<number, string>,
  password: string,
) {
  if (name === 'patch-item') {
    // Each PATCH moves the ETag: read them fresh before every run; the Lua script tracks them after.
    return measure(
      server,
      async () =>
        scenarioRequests(name, { fixture, tokens, password, etags: await itemEtags(server.baseUrl, fixture, tokens) }),
      true,
    );
  }
  if (name === 'get-shared-bucketlist' || name === 'post-item-shared') {
    return measure(server, async () => {
      await shareForBench(server.baseUrl, fixture, tokens);
      return scenarioRequests(name, { fixture, tokens, password });
    });
  }
  return measure(server, async () => scenarioRequests(name, { fixture, tokens, password }));
}

/** The password `npm run db:seed` gives every seeded user (it would pick a random one otherwise). */
const SEED_PASSWORD = `bench-${randomBytes(12).toString('base64url')}`;

/** Seeds (and migrates) the database with the project's own `npm run db:seed`; returns the seconds it took. */
async function seed(database: DatabaseTarget): Promise<number> {
  const started = performance.now();
  const { users, bucketlists, items } = options.seed;
  const args = ['run', 'db:seed', '--', '--users', String(users), '--bucketlists', String(bucketlists)];
  args.push('--items', String(items), '--password', SEED_PASSWORD, '--random-seed', '1');
  const result = await runCommand('npm', args, {
    cwd: REPO,
    env: { ...baseEnv(), ...databaseEnv(database), JWT_SECRET: jwtSecret },
    timeoutMs: 30 * 60_000,
  });
  if (result.code !== 0) throw new Error(`npm run db:seed failed (${result.code}):\n${result.stdout}${result.stderr}`);
  return (performance.now() - started) / 1000;
}

async function readFixture(rows: Rows): Promise<Fixture> {
  try {
    return await loadFixture(rows, options.benchUsers);
  } finally {
    await rows.close();
  }
}

/**
 * Before every PostgreSQL round: remove the items that earlier rounds' POSTs added, so that each
 * round reads the same data, then VACUUM ANALYZE, as autovacuum does on a database in service
 * (this machine's server runs with autovacuum off). Without it, the writes of earlier rounds leave
 * dead rows behind, and statements planned while the sessions table was nearly empty keep
 * scanning it whole as every login adds to it; the rounds then drift apart.
 */
async function settleDatabase(url: string) {
  const rows = openPostgresRows(url);
  try {
    await rows.query(`delete from items where name = '${BENCH_ITEM_NAME}'`);
    await rows.query('vacuum analyze');
  } finally {
    await rows.close();
  }
}

const coldStarts: ColdStartSummary[] = [];
async function measureColdStarts(target: 'postgres' | 'embedded', database: DatabaseTarget) {
  const roundsMs: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const server = await startServer(`cold-${target}-${round}`, appArgs('server'), (port) => appEnv(database, port));
    roundsMs.push(server.startMs);
    await stopProcess(server.started);
  }
  coldStarts.push({ target, roundsMs, medianMs: median(roundsMs) });
  log(`cold start (${target}): ${roundsMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
}

const PEERS_DIR = join(REPO, 'bench', 'peers');

/** `npm ci` of a peer's own package, unless its node_modules already holds that lock's install; then its build. */
async function installPeer(peer: Peer) {
  const dir = join(PEERS_DIR, peer.name);
  const lock = readFileSync(join(dir, 'package-lock.json'), 'utf8');
  const stampFile = join(dir, 'node_modules', '.bench-lock-sha256');
  const prefix = join('bench', 'peers', peer.name);
  const npm = async (args: string[]) => {
    log(`${peer.title}: npm ${args.join(' ')}`);
    const result = await runCommand('npm', args, { cwd: REPO, timeoutMs: 10 * 60_000 });
    if (result.code !== 0)
      throw new Error(`npm ${args[0]} for ${peer.title} failed:\n${result.stdout}${result.stderr}`);
  };
  if (needsInstall(lock, existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined)) {
    await npm(['ci', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts']);
    writeFileSync(stampFile, lockStamp(lock));
  }
  // Built every run, as the API is: what is measured is the working tree's code.
  if (peer.build) await npm(['run', peer.build, '--prefix', prefix]);
}

/** The dependency versions a peer pins, for the report. */
function peerVersions(peer: Peer): string {
  const manifest = JSON.parse(readFileSync(join(PEERS_DIR, peer.name, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return Object.entries(manifest.dependencies)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
}

interface RunningPeer {
  peer: Peer;
  server: Server;
}

/** Installs, configures and starts each peer on the bench's database, pinned like the API. */
async function startPeers(url: string): Promise<RunningPeer[]> {
  const running: RunningPeer[] = [];
  for (const peer of PEERS) {
    await installPeer(peer);
    const configFile = join(workDir, `peer-${peer.name}.json`);
    const config = peer.config({ connectionString: url, jwtSecret, logLevel: options.logLevel, poolSize: 10 });
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const server = await startServer(
      `peer-${peer.name}`,
      [join(PEERS_DIR, peer.name, peer.entry)],
      (port) => ({ ...baseEnv(), PORT: String(port), PEER_CONFIG: configFile }),
      SERVER_CPUS,
      false,
      peer.readyPath,
    );
    setup[`peer: ${peer.title}`] =
      `${peerVersions(peer)} (bench/peers/${peer.name}/), node ${join('bench', 'peers', peer.name, peer.entry)}, pinned with taskset -c ${SERVER_CPUS}; started in ${(server.startMs / 1000).toFixed(2)} s`;
    notes.push(...peer.differences.map((difference) => `${peer.title}: ${difference}`));
    running.push({ peer, server });
  }
  return running;
}

/** A token for each fixture user in the form the peer wants, signed with the API's secret. */
function peerTokens(peer: Peer, fixture: Fixture): Map<number, string> {
  // As long as the API's access tokens live in the bench (ACCESS_TOKEN_TTL).
  const sign = createSigner({ key: jwtSecret, algorithm: 'HS256', expiresIn: 3600 * 1000 });
  return new Map(fixture.users.map((user) => [user.id, sign(peer.claims(user.id))]));
}

async function askPeer(server: Server, request: ScriptedRequest): Promise<PeerAnswer> {
  const response = await fetch(new URL(request.path, server.baseUrl), {
    method: request.method,
    headers: { accept: 'application/json', ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) },
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, totalHeader: response.headers.get('x-total-count'), body };
}

/** Refuses to measure a peer that does not answer as the API would: the right rows, to their owner only. */
async function checkPeer({ peer, server }: RunningPeer, fixture: Fixture) {
  const checks = peerCheckRequests(peer, { fixture, tokens: peerTokens(peer, fixture) });
  const answers = {
    own: await askPeer(server, checks.own),
    foreign: await askPeer(server, checks.foreign),
    anonymous: await askPeer(server, checks.anonymous),
    page: await askPeer(server, checks.page),
  };
  const problems = peer.problems(answers, checks.expected);
  if (problems.length > 0)
    throw new Error(`${peer.title} does not answer as the API does:\n- ${problems.join('\n- ')}`);
  log(`${peer.title}: owner's GET 200, another user's 404, no token 401, the owner's page and total: as the API`);
}

const setup: Record<string, string | number> = {};
const notes: string[] = [];
let plans: PlanSummary[] = [];
let profile: ProfileSummary | undefined;
let baselineProfile: ProfileSummary | undefined;
let pages: PagesSummary | undefined;
let fleet: FleetSummary | undefined;
let fleetSkipped: string | undefined;

/**
 * Page 1 against page DEEP_PAGE, by number and by cursor, of a user added for it: each page under
 * the scenarios' load, rounds outermost; then the four list statements under EXPLAIN. The user
 * is removed afterwards.
 */
async function benchPages(app: Server, url: string) {
  log(`deep pages: one user with ${DEEP_ROWS} bucketlists; page 1 and page ${DEEP_PAGE}, by number and by cursor`);
  const user = await addDeepUser(app.baseUrl, url);
  try {
    const cases = await pageCases(app.baseUrl, user);
    const measured = new Map<string, RoundMeasurement[]>();
    for (let round = 1; round <= options.rounds; round++) {
      for (const entry of [...cases.byNumber, ...cases.byCursor]) {
        const measurement = await measure(app, async () => [{ method: 'GET', path: entry.path, token: user.token }]);
        measured.set(entry.name, [...(measured.get(entry.name) ?? []), measurement]);
        logMeasurement(`pages/${entry.name}`, measurement);
      }
    }
    const summaryOf = (entry: PageCase) =>
      summariseScenario('postgres', entry.name, entry.label, measured.get(entry.name) ?? []);
    pages = {
      rows: DEEP_ROWS,
      pageSize: PAGE_SIZE,
      deepPage: DEEP_PAGE,
      sort: PAGES_SORT,
      byNumber: pagingSummary(summaryOf(cases.byNumber[0]), summaryOf(cases.byNumber[1])),
      byCursor: pagingSummary(summaryOf(cases.byCursor[0]), summaryOf(cases.byCursor[1])),
      plans: await explainDeepPages(url, {
        userId: user.id,
        pageSize: PAGE_SIZE,
        deepPage: DEEP_PAGE,
        sort: PAGES_SORT,
        data: `${DEEP_ROWS} bucketlists of one user (the bench's deep pages user)`,
      }),
    };
    log(
      `deep pages: page ${DEEP_PAGE} / page 1 (ok req/s): by number ${pages.byNumber.requestsRatio.toFixed(3)}, by cursor ${pages.byCursor.requestsRatio.toFixed(3)}`,
    );
  } finally {
    await removeDeepUser(url, user);
  }
}

const FLEET_INSTANCES = 3;

/** Why the fleet cannot run, after trying to install its missing programs; undefined when it can. */
async function fleetUnavailable(): Promise<string | undefined> {
  const programs = missingPrograms();
  if (programs.length > 0) await aptInstall(programs, log);
  return fleetPartsMissing();
}

/**
 * GET /v1/bucketlists/:id through nginx in front of FLEET_INSTANCES API instances on PgBouncer
 * and Redis (test/deploy/fleet.ts, the recipe of deploy/), and against one of those instances
 * directly, on the bench's database and users, alternating which goes first each round.
 */
async function benchFleet(url: string, fixture: Fixture) {
  fleetSkipped = await fleetUnavailable();
  if (fleetSkipped) {
    log(`fleet skipped: ${fleetSkipped}`);
    return;
  }
  log(`fleet: ${FLEET_INSTANCES} instances behind nginx, on PgBouncer (transaction mode), Redis for the rate limits`);
  const teardowns: (() => unknown)[] = [];
  const stopFleet = async () => {
    for (const teardown of teardowns.splice(0).reverse()) await teardown();
  };
  cleanups.push(stopFleet);
  try {
    const started = await startFleet(
      { teardown: (fn) => teardowns.push(fn) },
      {
        instances: FLEET_INSTANCES,
        serverArgs: appArgs('server'),
        databaseUrl: url,
        // As the bench's API (appEnv), but the fleet's own LOG_LEVEL=warn: it keeps its instances' output in memory.
        env: { JWT_SECRET: jwtSecret, ACCESS_TOKEN_TTL: '3600', AUTH_RATE_LIMIT_MAX: '1000000000', ...options.appEnv },
      },
    );
    const [first] = started.apis;
    if (!first) throw new Error('the fleet started no instance');
    const targetOf = (name: string, baseUrl: string, apis: typeof started.apis): LoadTarget => ({
      name,
      baseUrl,
      pids: apis.map((api) => api.process.child.pid as number),
      includeChildren: false,
      logTail: () =>
        apis
          .map((api) => `${api.url}:\n${api.process.output().trimEnd().split('\n').slice(-30).join('\n')}`)
          .join('\n'),
      clearLog: () => {},
    });
    const balancer = {
      key: 'through-nginx',
      label: `through nginx, ${FLEET_INSTANCES} instances`,
      target: targetOf('fleet-nginx', started.url, started.apis),
    };
    const direct = {
      key: 'direct',
      label: 'one instance of the fleet, directly',
      target: targetOf('fleet-direct', first.url, [first]),
    };
    const measured = new Map<string, RoundMeasurement[]>();
    for (let round = 1; round <= options.rounds; round++) {
      log(`fleet round ${round}/${options.rounds}`);
      const tokens = await logIn(started.url, fixture, SEED_PASSWORD);
      for (const path of round % 2 === 1 ? [balancer, direct] : [direct, balancer]) {
        const requests = async () => scenarioRequests('get-bucketlist', { fixture, tokens, password: '' });
        const measurement = await measure(path.target, requests);
        measured.set(path.key, [...(measured.get(path.key) ?? []), measurement]);
        logMeasurement(`fleet/${path.key}`, measurement);
      }
    }
    const summaryOf = (path: typeof balancer) =>
      summariseScenario('fleet', `get-bucketlist-${path.key}`, path.label, measured.get(path.key) ?? []);
    const command = ['node', ...appArgs('server')].map((arg) => arg.replace(REPO, '')).join(' ');
    const pooling = started.preparedStatements
      ? 'named prepared statements, PgBouncer 1.21+'
      : 'DATABASE_PREPARED_STATEMENTS=false, PgBouncer before 1.21';
    fleet = fleetSummary(
      FLEET_INSTANCES,
      `${FLEET_INSTANCES} API instances (\`${command}\`, LOG_LEVEL=warn, DATABASE_POOL_SIZE=5 each, not pinned) on PgBouncer in transaction mode (${pooling}), Redis for the rate limits, nginx from deploy/nginx.conf; the bench's database, users and requests; the load generator as for the scenarios. On this machine every fleet process shares the two cores with the load generator and PostgreSQL: the ratio shows what the balancer and the pooler cost a request, not what the fleet can serve.`,
      summaryOf(balancer),
      summaryOf(direct),
    );
    log(`fleet: through nginx / directly (ok req/s) ${fleet.ratio.toFixed(3)}`);
  } finally {
    await stopFleet();
  }
}

async function benchPostgres() {
  const name = `${options.databasePrefix}_${stamp}_${process.pid}`;
  await createDatabase(options.adminUrl, name);
  if (!options.keep) cleanups.push(() => dropDatabase(options.adminUrl, name));
  const url = databaseUrl(options.adminUrl, name);
  const database: DatabaseTarget = { kind: 'postgres', url };
  log(`PostgreSQL: created database ${name}; seeding`);
  const seconds = await seed(database);
  const rows = openPostgresRows(url);
  // Fresh statistics and visibility map, as autovacuum leaves a table after a bulk load (it also
  // vacuums tables that only receive inserts): without the map, the index-only scans that count
  // a page's total fetch every heap row, which a database in service does not.
  await rows.query('vacuum analyze');
  const [version] = await rows.query<{ server_version: string }>('show server_version');
  setup.PostgreSQL = `${version?.server_version} on 127.0.0.1:5432, not pinned (its backends run on either core)`;
  const fixture = await readFixture(rows);
  setup.data = `${fixture.counts.users} users, ${fixture.counts.bucketlists} bucketlists, ${fixture.counts.items} items (seeded in ${seconds.toFixed(1)} s on PostgreSQL)`;
  log(`seeded in ${seconds.toFixed(1)} s: ${setup.data}`);

  if (options.explain) {
    log('EXPLAIN ANALYZE of the list queries → bench/plans/');
    plans = await explainListQueries(url, fixture);
    console.log(describePlans(plans));
  }
  if (options.coldStart) await measureColdStarts('postgres', database);

  const app = await startServer('api-postgres', appArgs('server'), (port) => appEnv(database, port));
  const hello = options.baselines
    ? await startServer(
        'baseline-hello',
        ['--import', TSX_LOADER, join(REPO, 'bench', 'baselines', 'hello-world.ts')],
        (port) => ({
          ...baseEnv(),
          PORT: String(port),
        }),
      )
    : undefined;
  const handwritten = options.baselines
    ? await startServer('baseline-handwritten', handwrittenArgs(), (port) => handwrittenEnv(url, port))
    : undefined;
  // The peers are measured on the scenarios they share with this run.
  const peerScenarios = PEER_SCENARIOS.filter((scenario) => options.scenarios.includes(scenario));
  const peers = options.peers && peerScenarios.length > 0 ? await startPeers(url) : [];
  for (const peer of peers) await checkPeer(peer, fixture);

  // Rounds outermost, so that drift in the machine's load spreads over every scenario alike.
  for (let round = 1; round <= options.rounds; round++) {
    log(`PostgreSQL round ${round}/${options.rounds}`);
    await settleDatabase(url);
    const tokens = await logIn(app.baseUrl, fixture, SEED_PASSWORD);
    for (const scenario of options.scenarios) {
      record('postgres', scenario, await scenarioRun(app, scenario, fixture, tokens, SEED_PASSWORD));
    }
    if (hello && handwritten) {
      record('baseline', HELLO, await measure(hello, async () => [{ method: 'GET', path: '/' }]));
      await measureHandwritten(handwritten, fixture, tokens, {
        'get-bucketlist': HANDWRITTEN,
        'list-bucketlists': 'handwritten-list-bucketlists',
        'post-item': 'handwritten-post-item',
      });
    }
    for (const { peer, server } of peers) {
      const peerTokensOfRound = peerTokens(peer, fixture);
      for (const scenario of peerScenarios) {
        const requests = async () => peer.requests(scenario, { fixture, tokens: peerTokensOfRound });
        record('peer', peerScenario(peer, scenario), await measure(server, requests));
      }
    }
  }
  if (options.pages) await benchPages(app, url);
  for (const server of [app, hello, handwritten, ...peers.map((peer) => peer.server)]) {
    if (server) await stopProcess(server.started);
  }

  if (options.cluster) {
    log(`cluster: ${options.workers} workers (src/cluster.ts), taskset -c ${CLUSTER_CPUS}`);
    const cluster = await startServer(
      'api-cluster',
      appArgs('cluster'),
      (port) => appEnv(database, port, { WORKERS: String(options.workers) }),
      CLUSTER_CPUS,
      true,
    );
    for (let round = 1; round <= options.rounds; round++) {
      const tokens = await logIn(cluster.baseUrl, fixture, SEED_PASSWORD);
      record('cluster', 'get-bucketlist', await scenarioRun(cluster, 'get-bucketlist', fixture, tokens, SEED_PASSWORD));
    }
    await stopProcess(cluster.started);
  }
  if (options.fleet) await benchFleet(url, fixture);

  if (options.profile) {
    // The API's profiled server logs the bench users in; the baseline's run reuses their tokens.
    let tokens: Map<number, string> | undefined;
    const getRequests = async (server: Server) => {
      tokens ??= await logIn(server.baseUrl, fixture, SEED_PASSWORD);
      return scenarioRequests('get-bucketlist', { fixture, tokens, password: '' });
    };
    log('profile: GET /v1/bucketlists/:id under node --cpu-prof');
    profile = await profiledGet(
      'get-bucketlist',
      (flags) => appArgs('server', flags),
      (port) => appEnv(database, port),
      getRequests,
    );
    console.log(renderProfileText(profile));
    if (options.baselines) {
      log('profile: the hand-written GET under node --cpu-prof, to compare per request');
      baselineProfile = await profiledGet(
        'handwritten-get-bucketlist',
        (flags) => [...flags, ...handwrittenArgs()],
        (port) => handwrittenEnv(url, port),
        getRequests,
      );
      const costs = costPerRequest(profile, baselineProfile);
      if (costs) console.log(`\n${renderCostText(costs)}`);
    }
  }
}

/**
 * One measured GET run of a server started under `node --cpu-prof`: the summary of its main
 * thread's profile over the measured window, with bundled frames traced to their sources. The
 * profile is kept under bench/results/<stamp>/<name>.cpuprofile.
 */
async function profiledGet(
  name: string,
  args: (profileFlags: string[]) => string[],
  env: (port: number) => NodeJS.ProcessEnv,
  requests: (server: Server) => Promise<ScriptedRequest[]>,
): Promise<ProfileSummary> {
  const profileDir = join(workDir, 'profile', name);
  const server = await startServer(`profile-${name}`, args(['--cpu-prof', '--cpu-prof-dir', profileDir]), env);
  const measurement = await measure(server, () => requests(server));
  await stopProcess(server.started);
  // tsx's loader thread writes a profile of its own; the main thread's has thread id 0.
  const file = readdirSync(profileDir).find((entry) => /\.0\.\d+\.cpuprofile$/.test(entry));
  if (!file) throw new Error(`node --cpu-prof wrote no main-thread profile for ${name}`);
  const data = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
  const summary = summariseProfile(data, basename(file), {
    window: lastMeasuredWindow,
    resolveSource: sourceMapResolver(),
    requests: measurement.requests,
  });
  mkdirSync(join(RESULTS_DIR, stamp), { recursive: true });
  writeFileSync(join(RESULTS_DIR, stamp, `${name}.cpuprofile`), JSON.stringify(data));
  return { ...summary, file: `bench/results/${stamp}/${name}.cpuprofile` };
}

async function benchEmbedded() {
  const dataDir = join(workDir, 'pglite');
  const database: DatabaseTarget = { kind: 'pglite', dataDir };
  log(`embedded PGlite in ${dataDir}; seeding`);
  const seconds = await seed(database);
  const fixture = await readFixture(await openEmbeddedRows(dataDir));
  setup['data (embedded)'] =
    `${fixture.counts.users} users, ${fixture.counts.bucketlists} bucketlists, ${fixture.counts.items} items (seeded in ${seconds.toFixed(1)} s on PGlite)`;
  log(`seeded in ${seconds.toFixed(1)} s`);
  if (options.coldStart) await measureColdStarts('embedded', database);
  const app = await startServer('api-embedded', appArgs('server'), (port) => appEnv(database, port));
  const roundTokens: Map<number, string>[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    log(`embedded round ${round}/${options.rounds}`);
    const tokens = await logIn(app.baseUrl, fixture, SEED_PASSWORD);
    roundTokens.push(tokens);
    for (const scenario of options.scenarios) {
      record('embedded', scenario, await scenarioRun(app, scenario, fixture, tokens, SEED_PASSWORD));
    }
  }
  await stopProcess(app.started);
  if (!options.baselines) return;

  // The hand-written server on the same folder, once the API has let go of it (PGlite is one process's).
  const handwritten = await startServer('baseline-handwritten-embedded', handwrittenArgs(), (port) => ({
    ...baseEnv(),
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: jwtSecret,
  }));
  for (const tokens of roundTokens) {
    await measureHandwritten(handwritten, fixture, tokens, {
      'get-bucketlist': 'handwritten-embedded-get-bucketlist',
      'post-item': 'handwritten-embedded-post-item',
    });
  }
  await stopProcess(handwritten.started);
}

function writeReport(): BenchReport {
  const label = (scenario: string) => {
    const peerRun = parsePeerScenario(scenario);
    return peerRun ? peerRun.peer.labels[peerRun.scenario] : LABELS[scenario as keyof typeof LABELS];
  };
  const scenarios = withRatios(
    [...rounds.values()].map((entry) =>
      summariseScenario(entry.target, entry.scenario, label(entry.scenario), entry.rounds),
    ),
  );
  const report: BenchReport = {
    startedAt: new Date(Date.now() - (performance.now() - benchStart)).toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    setup,
    notes,
    scenarios,
    coldStarts,
    goals: evaluateGoals({ scenarios, coldStarts }),
    plans,
    ...(profile ? { profile } : {}),
    ...(baselineProfile ? { baselineProfile } : {}),
    ...(fleet ? { fleet } : {}),
    ...(fleetSkipped ? { fleetSkipped } : {}),
    ...(pages ? { pages } : {}),
  };
  const outDir = join(RESULTS_DIR, stamp);
  mkdirSync(outDir, { recursive: true });
  const markdown = renderMarkdown(report);
  const svg = renderRatioSvg(scenarios);
  for (const [file, text] of [
    ['results.json', `${JSON.stringify(report, null, 2)}\n`],
    ['results.md', markdown],
    ['ratios.svg', svg],
  ] as const) {
    writeFileSync(join(outDir, file), text);
    writeFileSync(join(RESULTS_DIR, `latest-${file}`), text);
  }
  console.log(`\n${markdown}`);
  log(`results: bench/results/${stamp}/ (and bench/results/latest-*)`);
  return report;
}

async function main() {
  if (options.rounds < 3) log(`note: ${options.rounds} round(s); quote only medians of 3 or more`);
  generator = await findLoadGenerator(options.loadGenerator, log);
  if (options.build && options.runtime === 'dist') {
    log('npm run build');
    const build = await runCommand('npm', ['run', 'build'], { cwd: REPO, timeoutMs: 300_000 });
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
  const cpu = cpus();
  // Read-only: which code was measured (the build is of the working tree).
  const head = await runCommand('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  const dirty = await runCommand('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: REPO,
    timeoutMs: 10_000,
  }).catch(() => undefined);
  if (head?.code === 0) setup.code = `${head.stdout.trim()}${dirty?.stdout.trim() ? ' with uncommitted changes' : ''}`;
  Object.assign(setup, {
    machine: `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    'load generator': `${generator.kind} ${generator.version}, ${generator.kind === 'wrk' ? '1 thread, ' : ''}${options.connections} connections, pinned with taskset -c ${LOAD_CPUS}`,
    servers: `API, baselines and peers pinned with taskset -c ${SERVER_CPUS}; cluster mode taskset -c ${CLUSTER_CPUS} (sharing core ${LOAD_CPUS} with the load generator)`,
    runs: `${options.rounds} rounds × (${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured) per scenario, rounds outermost`,
    'API process': `node ${PRODUCTION_NODE_FLAGS.join(' ')} ${options.runtime === 'dist' ? 'dist/server.js (npm start, after npm run build)' : '--import tsx src/server.ts'}, NODE_ENV=production, LOG_LEVEL=${options.logLevel} (to a file), default DATABASE_POOL_SIZE (10)`,
  });
  if (Object.keys(options.appEnv).length > 0) {
    setup['extra API environment'] = Object.entries(options.appEnv)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
  }
  notes.push(
    'AUTH_RATE_LIMIT_MAX=1000000000 for the bench: login is otherwise limited to 10 per minute per client address, and the bench is one address.',
    'ACCESS_TOKEN_TTL=3600; the bench logs its users in again before every round.',
    'Before every PostgreSQL round the items added by earlier POSTs are deleted and the database gets VACUUM ANALYZE, as autovacuum would do (the embedded rounds share one server process and get neither).',
    'Baselines run as `node --import tsx bench/baselines/<name>.ts` (transpiled once at load).',
    `Requests are spread over the first ${options.benchUsers} seeded users: each one's bucketlists (GET, POST item, filtered items), list pages 1–5, and the first item of each bucketlist (PATCH).`,
    'PATCH sends If-Match with the ETag read just before the run; the wrk script then takes each response’s ETag for that item’s next PATCH.',
    'RSS is VmRSS from /proc/<pid>/status sampled every 100 ms during the measured run (summed over the cluster’s processes), in MB of 10^6 bytes.',
  );
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  // Other work on this small machine skews every number: say how busy it was.
  setup['load average (1/5/15 min) at start'] = load();
  try {
    if (options.postgres) await benchPostgres();
    if (options.embedded) await benchEmbedded();
    setup['load average at end'] = load();
  } finally {
    await cleanUp();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  }
  writeReport();
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  await cleanUp();
  if (rounds.size > 0) {
    notes.unshift(`INCOMPLETE: the bench failed part-way (${(error as Error).message.split('\n')[0]}).`);
    writeReport();
  }
  process.exitCode = 1;
}
