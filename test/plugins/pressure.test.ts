import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import errorsPlugin from '../../src/plugins/errors.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import pressurePlugin, { type PressureOptions } from '../../src/plugins/pressure.js';
import { build, testConfig } from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

/** Keeps the event loop busy, as a start-up or an overload does. */
function blockTheLoop(ms: number) {
  const start = Date.now();
  while (Date.now() - start < ms) {
    // busy: nothing else can run
  }
}

/** The errors and pressure plugins with test thresholds, and a route standing for any API route. */
async function buildPressured(t: Test, options: PressureOptions, startupWorkMs = 0) {
  const app = Fastify({ logger: false });
  await app.register(errorsPlugin);
  await app.register(pressurePlugin, options);
  // Like opening and migrating the database, after the plugin has started measuring.
  await app.register(async () => blockTheLoop(startupWorkMs));
  await app.register(metricsPlugin);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/v1/work', async () => ({ done: true }));
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** The promise's value, or a failure after ms instead of a test that hangs. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`timed out waiting until ${what}`);
  });
  return Promise.race([promise, timeout]);
}

t.test('the app sheds load with under-pressure, and is not under pressure at rest', async (t) => {
  const app = await build(t);
  t.ok(app.hasPlugin('pressure'));
  t.ok(app.hasPlugin('@fastify/under-pressure'));
  t.equal(app.isUnderPressure(), false);
});

t.test('while unhealthy, requests get a 503 problem with Retry-After; probes still answer', async (t) => {
  let healthy = true;
  const app = await buildPressured(t, { healthCheck: async () => healthy, healthCheckInterval: 10 });
  t.equal((await app.inject({ method: 'GET', url: '/v1/work' })).statusCode, 200, 'healthy: served');

  healthy = false;
  await until(() => app.isUnderPressure(), 'the health check fails');
  const shed = await app.inject({ method: 'GET', url: '/v1/work' });
  t.equal(shed.statusCode, 503);
  t.match(shed.headers['content-type'], /^application\/problem\+json/);
  t.equal(shed.headers['retry-after'], '5');
  t.match(shed.json(), { status: 503, code: 'service_unavailable', title: 'Service Unavailable', type: 'about:blank' });
  t.type(shed.json().instance, 'string', 'instance carries the request id');

  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness still answers');
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'metrics still answer');

  healthy = true;
  await until(() => !app.isUnderPressure(), 'the health check passes again');
  t.equal((await app.inject({ method: 'GET', url: '/v1/work' })).statusCode, 200, 'healthy again: served');
});

t.test('a blocked event loop trips the delay threshold', async (t) => {
  const app = await buildPressured(t, { maxEventLoopDelay: 50, sampleInterval: 100 });
  // Block the loop for a second: the next sample's mean delay is far above 50 ms.
  blockTheLoop(1000);
  await until(() => app.isUnderPressure(), 'the next sample sees the delay', 1000);
  t.ok(app.memoryUsage().eventLoopDelay > 50, `mean delay ${Math.round(app.memoryUsage().eventLoopDelay)} ms`);
  const shed = await app.inject({ method: 'GET', url: '/v1/work' });
  t.equal(shed.statusCode, 503);
  t.equal(shed.json().code, 'service_unavailable');
  t.equal(shed.headers['retry-after'], '5');
});

t.test('regression: the busy start of the app is not taken for overload', async (t) => {
  const sampleInterval = 100;
  const app = await buildPressured(
    t,
    { maxEventLoopUtilization: 0.5, eventLoopUtilizationMode: 'interval', sampleInterval },
    500,
  );
  await until(() => app.isUnderPressure(), 'the first sample measures the start-up', 1000);
  const early = await app.inject({ method: 'GET', url: '/v1/work' });
  t.equal(early.statusCode, 200, 'served: the sample covers the start, not load');

  await sleep(3 * sampleInterval);
  t.equal(app.isUnderPressure(), false, 'idle after the start');
  blockTheLoop(3 * sampleInterval);
  await until(() => app.isUnderPressure(), 'a busy loop after the start is seen', 1000);
  const busy = await app.inject({ method: 'GET', url: '/v1/work' });
  t.equal(busy.statusCode, 503, 'load after the start is shed');
});

t.test('while the app closes, a request arriving on a kept-alive connection gets a 503 problem', async (t) => {
  const database = await openTestDatabase();
  t.teardown(() => database.close());
  const app = await buildApp(testConfig(), { database, logger: false });
  let release = () => {};
  let started = () => {};
  const handlerStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  app.get('/test/slow', async () => {
    started();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return { status: 'ok' };
  });
  let closingStarted = () => {};
  const closing = new Promise<void>((resolve) => {
    closingStarted = resolve;
  });
  app.addHook('preClose', async () => closingStarted());
  const answered = new Set<string>();
  app.addHook('onSend', async (request) => {
    answered.add(request.id);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };

  // One kept-alive connection: a request in flight when closing starts, then another one on it.
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk;
  });
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  let closed: Promise<undefined> | undefined;
  t.teardown(async () => {
    // Only matters when the test failed half-way: nothing may be left running.
    socket.destroy();
    release();
    await (closed ?? app.close());
  });
  socket.write('GET /test/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await within(handlerStarted, 10_000, 'the first request is being handled');
  closed = app.close();
  await within(closing, 10_000, 'closing starts');
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: after-close\r\n\r\n');
  // Responses leave in order, so the second one is written once the first is done.
  await until(() => answered.has('after-close'), 'the second request is answered');
  release();
  await within(closed, 10_000, 'the app is closed');
  await within(ended, 10_000, 'the connection is closed');

  const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
  t.match(first, /^HTTP\/1\.1 200 /, 'the in-flight request finishes');
  t.match(second, /^HTTP\/1\.1 503 /, 'the next one is refused');
  t.match(second, /content-type: application\/problem\+json/i);
  t.match(second, /retry-after: 5/i);
  t.match(second, /connection: close/i);
  t.match(second, /"code":"service_unavailable"/);
  t.match(second, /"instance":"after-close"/);
});
