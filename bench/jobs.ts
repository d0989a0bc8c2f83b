/**
 * The jobs and tracing bench (`npm run bench:jobs`): export throughput, and the cost of tracing.
 * On a fresh PostgreSQL database seeded by `npm run db:seed` (one user with `--items` items), the
 * built server (`npm start`'s flags, core 0):
 *   1. exports: POST /v1/exports, polled until done (items/s the job wrote), then both downloads
 *      (items/s streamed as JSON and as CSV);
 *   2. GET /v1/bucketlists/:id under wrk (core 1) with tracing off, then on (OTLP/HTTP to a sink in
 *      this process), alternating for `--rounds` rounds: req/s and latency, and the ratio.
 * Writes bench/results/jobs-<time>.{json,md}. Every process it starts is stopped by its pid.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, databaseUrl, dropDatabase, loadFixture, openPostgresRows } from './lib/database.js';
import { findLoadGenerator, runLoad } from './lib/load.js';
import type { LoadMeasurement } from './lib/load-output.js';
import { portPicker } from './lib/ports.js';
import { logTail, runCommand, startProcess, stopAll, stopProcess, waitForOk } from './lib/processes.js';
import { productionNodeFlags } from './lib/start-command.js';

const freePort = portPicker();

const REPO = new URL('..', import.meta.url).pathname;
const { values: flags } = parseArgs({
  options: {
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    items: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    'no-build': { type: 'boolean', default: false },
  },
});
const adminUrl = flags['admin-url'] as string;
const items = Number(flags.items);
const duration = Number(flags.duration);
const rounds = Number(flags.rounds);
const connections = Number(flags.connections);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = join(REPO, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const databaseName = `jobs_bench_${Date.now()}_${process.pid}`;
const url = databaseUrl(adminUrl, databaseName);
const jwtSecret = randomBytes(48).toString('base64url');
const password = `bench-${randomBytes(12).toString('base64url')}`;
const log = (message: string) => console.error(`[bench:jobs] ${message}`);

/** A collector that accepts every OTLP/HTTP export and counts the bytes. */
async function startSink() {
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    close: () => server.close(),
  };
}

async function startApi(name: string, extra: NodeJS.ProcessEnv) {
  const port = await freePort();
  const started = startProcess({
    name,
    cpus: '0',
    command: process.execPath,
    args: [...productionNodeFlags(REPO), join(REPO, 'dist', 'server.js')],
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      JWT_SECRET: jwtSecret,
      ACCESS_TOKEN_TTL: '3600',
      AUTH_RATE_LIMIT_MAX: '1000000',
      JOB_POLL_INTERVAL: '0.5',
      ...extra,
    },
    logFile: join(resultsDir, `jobs-${stamp}-${name}.log`),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForOk(started, `${baseUrl}/healthz`);
  return { started, baseUrl };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const begin = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - begin) / 1000 };
}

async function exportThroughput(baseUrl: string, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const job = await timed(async () => {
    const created = await fetch(`${baseUrl}/v1/exports`, { method: 'POST', headers });
    if (created.status !== 202) throw new Error(`POST /v1/exports: ${created.status} ${await created.text()}`);
    const location = created.headers.get('location') as string;
    for (;;) {
      const body = (await (await fetch(`${baseUrl}${location}`, { headers })).json()) as {
        status: string;
        item_count: number;
        download_url: string;
      };
      if (body.status === 'done') return body;
      if (body.status === 'failed') throw new Error('the export failed');
      await sleep(50);
    }
  });
  const download = async (accept: string) =>
    timed(async () => {
      const response = await fetch(`${baseUrl}${job.value.download_url}`, { headers: { ...headers, accept } });
      return (await response.arrayBuffer()).byteLength;
    });
  const json = await download('application/json');
  const csv = await download('text/csv');
  const count = job.value.item_count;
  return {
    items: count,
    job: { seconds: job.seconds, itemsPerSecond: count / job.seconds },
    json: { seconds: json.seconds, bytes: json.value, itemsPerSecond: count / json.seconds },
    csv: { seconds: csv.seconds, bytes: csv.value, itemsPerSecond: count / csv.seconds },
  };
}

async function main() {
  if (!flags['no-build']) {
    log('npm run build');
    const built = await runCommand('npm', ['run', 'build'], { cwd: REPO, timeoutMs: 600_000 });
    if (built.code !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  }
  await createDatabase(adminUrl, databaseName);
  try {
    const perList = Math.max(1, Math.round(items / 10));
    log(`seeding 1 user, 10 bucketlists, ${perList} items each`);
    const seeded = await runCommand(
      'npm',
      [
        'run',
        'db:seed',
        '--',
        '--users',
        '1',
        '--bucketlists',
        '10',
        '--items',
        String(perList),
        '--password',
        password,
      ],
      { cwd: REPO, env: { PATH: process.env.PATH, DATABASE_URL: url, JWT_SECRET: jwtSecret }, timeoutMs: 600_000 },
    );
    if (seeded.code !== 0) throw new Error(`db:seed failed:\n${seeded.stdout}${seeded.stderr}`);
    const rows = openPostgresRows(url);
    const fixture = await loadFixture(rows, 1);
    await rows.query('vacuum analyze');
    await rows.close();
    const login = async (baseUrl: string) => {
      const response = await fetch(`${baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: fixture.users[0]?.email, password }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };

    const sink = await startSink();
    const generator = await findLoadGenerator('auto', log);
    const gets: Record<'off' | 'on', LoadMeasurement[]> = { off: [], on: [] };
    let exports: Awaited<ReturnType<typeof exportThroughput>> | undefined;
    for (let round = 1; round <= rounds; round++) {
      for (const tracing of ['off', 'on'] as const) {
        const api = await startApi(
          `api-tracing-${tracing}`,
          tracing === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {},
        );
        try {
          const token = await login(api.baseUrl);
          if (round === 1 && tracing === 'off') {
            log('export throughput');
            exports = await exportThroughput(api.baseUrl, token);
          }
          const requests = fixture.bucketlists.map((row) => ({
            method: 'GET',
            path: `/v1/bucketlists/${row.id}`,
            token,
          }));
          const run = {
            baseUrl: api.baseUrl,
            requests,
            trackEtags: false,
            connections,
            cpus: '1',
            workDir: resultsDir,
          };
          await runLoad(generator, { ...run, durationSeconds: 2 });
          log(`round ${round}: GET with tracing ${tracing}`);
          gets[tracing].push(await runLoad(generator, { ...run, durationSeconds: duration }));
        } catch (error) {
          throw new Error(`${String(error)}\n${logTail(api.started)}`, { cause: error });
        } finally {
          await stopProcess(api.started);
        }
      }
    }
    sink.close();

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const summary = (runs: LoadMeasurement[]) => ({
      okRequestsPerSecond: median(runs.map((run) => run.okRequestsPerSecond)),
      latencyP50Ms: median(runs.map((run) => run.latencyP50Ms)),
      latencyP99Ms: median(runs.map((run) => run.latencyP99Ms)),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    });
    const off = summary(gets.off);
    const on = summary(gets.on);
    const result = {
      command: `npm run bench:jobs -- ${process.argv.slice(2).join(' ')}`.trim(),
      at: new Date().toISOString(),
      exports,
      get: { off, on, onOverOff: on.okRequestsPerSecond / off.okRequestsPerSecond, spanBytes: sink.bytes() },
    };
    const fixed = (value: number, digits = 0) => value.toLocaleString('en', { maximumFractionDigits: digits });
    const e = exports as NonNullable<typeof exports>;
    const md = [
      `# Jobs and tracing bench (${result.at})`,
      '',
      `\`${result.command}\`, ${rounds} round(s) of ${duration} s, wrk -c${connections} on core 1, server on core 0.`,
      '',
      '| export of | seconds | items/s |',
      '|---|---:|---:|',
      `| the job (POST to done, polled every 50 ms), ${fixed(e.items)} items | ${fixed(e.job.seconds, 2)} | ${fixed(e.job.itemsPerSecond)} |`,
      `| download as JSON (${fixed(e.json.bytes / 1024)} KiB) | ${fixed(e.json.seconds, 2)} | ${fixed(e.json.itemsPerSecond)} |`,
      `| download as CSV (${fixed(e.csv.bytes / 1024)} KiB) | ${fixed(e.csv.seconds, 2)} | ${fixed(e.csv.itemsPerSecond)} |`,
      '',
      '| GET /v1/bucketlists/:id | ok req/s | p50 ms | p99 ms | non-2xx |',
      '|---|---:|---:|---:|---:|',
      `| tracing off | ${fixed(off.okRequestsPerSecond)} | ${fixed(off.latencyP50Ms, 2)} | ${fixed(off.latencyP99Ms, 2)} | ${off.non2xx} |`,
      `| tracing on (OTLP/HTTP JSON to a local sink) | ${fixed(on.okRequestsPerSecond)} | ${fixed(on.latencyP50Ms, 2)} | ${fixed(on.latencyP99Ms, 2)} | ${on.non2xx} |`,
      `| on / off | ${fixed(result.get.onOverOff, 3)} | | | |`,
      '',
    ].join('\n');
    writeFileSync(join(resultsDir, `jobs-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(resultsDir, `jobs-${stamp}.md`), md);
    console.log(md);
  } finally {
    await stopAll();
    await dropDatabase(adminUrl, databaseName);
  }
}

await main();
