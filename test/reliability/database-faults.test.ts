/**
 * Database faults, on PostgreSQL through the real postgres.js driver (src/db/client.ts): the app
 * talks to a database of this file's own through a TCP proxy the test controls, in front of the
 * shared server (which is never stopped). While requests flow, the proxy cuts the database in
 * three ways — connections reset, connections refused, and a black hole that swallows packets —
 * and the API must answer 503 service_unavailable problems within a bound (no hang, no crash),
 * /readyz must turn 503, the API must recover by itself when the database returns, and no write
 * it acknowledged with a 201 may be lost.
 *
 * Needs TEST_DATABASE_URL (an admin URL of a PostgreSQL server); skipped without it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import postgres from 'postgres';
import t from 'tap';
import { type App, buildApp } from '../../src/app.js';
import { watchConformance } from '../conformance.js';
import { newUser, testConfig } from '../helper.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
/** Every request must be answered within this bound, whatever the database does. */
const REQUEST_BOUND_MS = 10_000;
/** How long the API may take to notice that the database is back. */
const RECOVERY_BOUND_MS = 20_000;

type FaultMode = 'up' | 'reset' | 'refuse' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 that can cut the database: `reset` destroys every connection and resets
 * new ones; `refuse` also stops listening (ECONNREFUSED); `blackhole` stops forwarding in both
 * directions and accepts new connections without ever answering them.
 */
class FaultProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket | undefined]>();
  mode: FaultMode = 'up';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  private accept(client: Socket) {
    client.on('error', () => {});
    if (this.mode === 'reset' || this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole') {
      client.pause();
      this.pairs.add([client, undefined]);
      return;
    }
    const upstream = netConnect(this.targetPort, this.targetHost);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forget = () => this.pairs.delete(pair);
    client.on('close', () => {
      upstream.destroy();
      forget();
    });
    upstream.on('close', () => {
      client.destroy();
      forget();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private destroyAll() {
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream?.destroy();
    }
    this.pairs.clear();
  }

  async cut(mode: Exclude<FaultMode, 'up'>) {
    this.mode = mode;
    if (mode === 'blackhole') {
      for (const [client, upstream] of this.pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
      return;
    }
    this.destroyAll();
    if (mode === 'refuse') await this.close();
  }

  async restore() {
    // Connections held in the black hole are dropped: their state is unknowable, as after a real partition.
    this.destroyAll();
    this.mode = 'up';
    if (!this.server) await this.listen();
  }

  async close() {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Outcome {
  what: string;
  startedAt: number;
  ms: number;
  status: number | 'hung';
  code?: string;
  body?: string;
}

/** Sends a request, giving up waiting (not on the request) after the bound. */
async function timed(
  app: App,
  what: string,
  options: InjectOptions,
): Promise<{ outcome: Outcome; response?: LightMyRequestResponse }> {
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), REQUEST_BOUND_MS);
  });
  const result = await Promise.race([app.inject(options), bound]);
  clearTimeout(timer);
  const ms = performance.now() - startedAt;
  if (result === 'hung') return { outcome: { what, startedAt, ms, status: 'hung' } };
  let code: string | undefined;
  try {
    code = (JSON.parse(result.body) as { code?: string }).code;
  } catch {
    // Not JSON (a hang or a raw socket error): there is no problem code to read.
  }
  return {
    outcome: { what, startedAt, ms, status: result.statusCode, code, body: result.body.slice(0, 200) },
    response: result,
  };
}

if (!serverUrl) {
  t.plan(
    0,
    'TEST_DATABASE_URL is unset: these faults need a PostgreSQL server to put a faulty proxy in front of (CI sets it)',
  );
} else {
  // Three outages of ~15-30 s each, one of them longer than the request bound: more than tap's default.
  t.setTimeout(240_000);
  const server = new URL(serverUrl);
  const databaseName = `bucketlist_faults_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${databaseName}"`);
  const proxy = new FaultProxy(server.hostname, Number(server.port || 5432));
  await proxy.listen();
  const viaProxy = new URL(serverUrl);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  viaProxy.pathname = `/${databaseName}`;
  const direct = new URL(serverUrl);
  direct.pathname = `/${databaseName}`;

  // The real configuration path: DATABASE_URL → postgres.js with the app's own pool and timeouts;
  // the app migrates the new database itself.
  const app = await buildApp(testConfig({ DATABASE_URL: viaProxy.toString(), AUTH_RATE_LIMIT_MAX: '100000' }), {
    logger: false,
  });
  watchConformance(app, t);
  await app.ready();
  t.teardown(async () => {
    await proxy.restore();
    await app.close();
    await proxy.close();
    await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
    await admin.end({ timeout: 5 });
  });

  const user = newUser();
  const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: user });
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: user.password },
  });
  if (registered.statusCode !== 201 || login.statusCode !== 200) {
    throw new Error(`setup failed: ${registered.body} ${login.body}`);
  }
  const userId = (registered.json() as { id: number }).id;
  const headers = { authorization: `Bearer ${(login.json() as { access_token: string }).access_token}` };

  /** Every bucketlist the API acknowledged with a 201, by id. */
  const acknowledged = new Set<number>();
  let writeAttempts = 0;

  /** Several clients, each sending writes and reads back to back until told to stop. */
  function traffic(clients: number) {
    const outcomes: Outcome[] = [];
    let running = true;
    const loops = Array.from({ length: clients }, async (_unused, client) => {
      for (let round = 0; running; round++) {
        const write = round % 2 === 0;
        if (write) writeAttempts += 1;
        const { outcome, response } = await timed(
          app,
          write ? 'POST /v1/bucketlists' : round % 4 === 1 ? 'GET /v1/bucketlists' : 'GET /v1/users/me',
          write
            ? { method: 'POST', url: '/v1/bucketlists', headers, payload: { name: `client ${client} round ${round}` } }
            : { method: 'GET', url: round % 4 === 1 ? '/v1/bucketlists' : '/v1/users/me', headers },
        );
        outcomes.push(outcome);
        if (write && response?.statusCode === 201) acknowledged.add((response.json() as { id: number }).id);
        // Shed requests (503) come back at once: pace the loop a little so it does not spin.
        if (outcome.status !== 201 && outcome.status !== 200) await sleep(20);
      }
    });
    return {
      outcomes,
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function readiness() {
    return (await timed(app, 'GET /readyz', { method: 'GET', url: '/readyz' })).outcome;
  }

  async function waitUntilReady(): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < RECOVERY_BOUND_MS) {
      if ((await readiness()).status === 200) return performance.now() - started;
      await sleep(100);
    }
    return Number.POSITIVE_INFINITY;
  }

  const describe = (outcome: Outcome) =>
    `${outcome.what} → ${outcome.status} in ${Math.round(outcome.ms)} ms ${outcome.body ?? ''}`;

  for (const mode of ['reset', 'refuse', 'blackhole'] as const) {
    t.test(
      `database cut (${mode}): 503 problems within ${REQUEST_BOUND_MS / 1000} s, /readyz 503, recovery without restart`,
      async (t) => {
        const flow = traffic(4);
        await sleep(800);
        const cutAt = performance.now();
        await proxy.cut(mode);
        await sleep(300);
        const ready = await readiness();
        t.equal(ready.status, 503, `/readyz answers 503 while the database is cut (${describe(ready)})`);
        t.equal(ready.code, 'service_unavailable', '/readyz is a service_unavailable problem');
        // A black hole must outlast the bound, to show whether anything bounds a query that never returns.
        await sleep(mode === 'blackhole' ? REQUEST_BOUND_MS + 1500 : 2500);
        const restoredAt = performance.now();
        await proxy.restore();
        const recoveryMs = await waitUntilReady();
        t.ok(
          recoveryMs < RECOVERY_BOUND_MS,
          `/readyz is 200 again ${Math.round(recoveryMs)} ms after the database returned`,
        );
        await sleep(800);
        await flow.stop();

        const outcomes = flow.outcomes;
        const during = outcomes.filter((outcome) => outcome.startedAt >= cutAt + 50 && outcome.startedAt < restoredAt);
        const after = outcomes.filter((outcome) => outcome.startedAt >= restoredAt + recoveryMs + 200);
        t.comment(
          `${mode}: ${outcomes.length} requests; during the cut ${during.length} (${[...new Set(during.map((o) => o.status))].join(', ')}); after recovery ${after.length}`,
        );

        const hung = outcomes.filter((outcome) => outcome.status === 'hung' || outcome.ms > REQUEST_BOUND_MS);
        const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
        t.comment(
          `${mode}: the slowest request took ${Math.round(slowest)} ms${hung.length ? `; ${hung.length} hit the bound` : ''}`,
        );
        // Regression: requests used to wait on the database through postgres.js's reconnect backoff
        // (up to 20 s), or forever in a black hole; now the database health check sheds them at once
        // and Fastify's handlerTimeout bounds whatever was already in flight.
        t.same(hung.map(describe), [], `no request took longer than ${REQUEST_BOUND_MS / 1000} s`);
        const serverErrors = outcomes.filter(
          (outcome) => typeof outcome.status === 'number' && outcome.status >= 500 && outcome.status !== 503,
        );
        t.same(serverErrors.map(describe), [], 'no 500 (or other 5xx than 503) at any time');
        const unavailable = outcomes.filter((outcome) => outcome.status === 503);
        t.ok(unavailable.length > 0, `requests during the cut were answered 503 (${unavailable.length} of them)`);
        t.same(
          unavailable.filter((outcome) => outcome.code !== 'service_unavailable').map(describe),
          [],
          'every 503 is a service_unavailable problem',
        );
        // A request started during the cut may wait and succeed once the database is back (see the
        // bound above), but it must never be mistaken for something else: an outage is not a 401 or a 404.
        const wrong = during.filter(
          (outcome) => typeof outcome.status === 'number' && ![200, 201, 503].includes(outcome.status),
        );
        t.same(
          wrong.map(describe),
          [],
          'during the cut, requests get 503 (or wait and succeed), never 401, 404 or 500',
        );
        const servedDuringCut = during.filter(
          (outcome) =>
            (outcome.status === 200 || outcome.status === 201) && outcome.startedAt + outcome.ms < restoredAt,
        );
        t.same(servedDuringCut.map(describe), [], 'nothing that needs the database succeeds while it is cut');
        t.ok(after.length > 0, 'requests flowed after recovery');
        t.same(
          after.filter((outcome) => outcome.status !== 200 && outcome.status !== 201).map(describe),
          [],
          'after recovery every request succeeds again, with no restart',
        );
        t.equal(
          (await app.inject({ method: 'GET', url: '/healthz' })).statusCode,
          200,
          'the process never stopped answering /healthz',
        );
      },
    );
  }

  t.test('no acknowledged write was lost', async (t) => {
    const database = postgres(direct.toString(), { max: 1, onnotice: () => {} });
    try {
      const rows = await database<{ id: number }[]>`select id from bucketlists where owner_id = ${userId}`;
      const stored = new Set(rows.map((row) => row.id));
      const lost = [...acknowledged].filter((id) => !stored.has(id));
      t.same(lost, [], `all ${acknowledged.size} bucketlists acknowledged with 201 are in the database`);
      t.ok(stored.size <= writeAttempts, `no more rows (${stored.size}) than write attempts (${writeAttempts})`);
      t.comment(
        `${acknowledged.size} acknowledged, ${stored.size} stored, ${writeAttempts} attempted (${stored.size - acknowledged.size} committed but not acknowledged: the connection died after the commit)`,
      );
    } finally {
      await database.end({ timeout: 5 });
    }
    const list = await app.inject({ method: 'GET', url: '/v1/bucketlists', headers });
    t.equal(list.statusCode, 200, 'the list answers 200');
    t.ok(
      (list.json() as { total: number }).total >= acknowledged.size,
      'the API lists at least every acknowledged write',
    );
  });
}
