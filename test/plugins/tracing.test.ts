/**
 * Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach a real OTLP/HTTP receiver (a small
 * server started here, decoding the JSON payloads): the request span continues the client's W3C
 * traceparent and is named after the route template, every database statement is its child, and
 * the export job it queues runs in a span of the same trace with its own statements under it,
 * whether the API's own workers run it or a worker process (`npm run worker`, PostgreSQL only).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { tracesUrl } from '../../src/tracer.js';
import { build, buildWithDatabase, createBucketlist, signUp } from '../helper.js';
import { startWorkerProcess } from '../production/server-process.js';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}

const received: ReceivedSpan[] = [];
const paths: string[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    paths.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
    const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[] };
    for (const resource of payload.resourceSpans)
      for (const scope of resource.scopeSpans) received.push(...scope.spans);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
t.teardown(() => receiver.close());
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const attribute = (span: ReceivedSpan, key: string) => span.attributes.find((entry) => entry.key === key)?.value;

/** The spans received so far once `until` holds for them (spans come in batches), or after 30 s. */
async function receivedSpans(until: (spans: ReceivedSpan[]) => boolean) {
  const deadline = Date.now() + 30_000;
  while (!until(received) && Date.now() < deadline) await sleep(200);
  return received;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(200);
  }
}

const spansOf = async (traceId: string, until: (spans: ReceivedSpan[]) => boolean) =>
  (await receivedSpans((spans) => until(spans.filter((span) => span.traceId === traceId)))).filter(
    (span) => span.traceId === traceId,
  );

t.test('tracing is off without an endpoint, and the traces URL is <endpoint>/v1/traces', async (t) => {
  t.equal(loadConfig({}).config.tracing, undefined);
  t.same(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config.tracing, {
    endpoint: 'http://collector:4318/',
    serviceName: 'bucketlist-api',
  });
  t.equal(tracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
});

t.test('a request continues the client trace, with a child span per database statement', async (t) => {
  const app = await build(t, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, JOB_POLL_INTERVAL: '0.5' } });
  const user = await signUp(app);
  const list = await createBucketlist(app, user.headers);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const response = await app.inject({
    method: 'GET',
    url: `/v1/bucketlists/${list.id}`,
    headers: { ...user.headers, traceparent: `00-${traceId}-${parentId}-01` },
  });
  t.equal(response.statusCode, 200);

  const spans = await spansOf(traceId, (found) => found.some((span) => span.name.startsWith('GET')));
  const request = spans.find((span) => span.name === 'GET /v1/bucketlists/:id');
  t.ok(request, 'the request span, named after the route template');
  t.equal(request?.parentSpanId, parentId, "a child of the client's span");
  t.equal(attribute(request as ReceivedSpan, 'http.route')?.stringValue, '/v1/bucketlists/:id');
  const statements = spans.filter((span) => span.parentSpanId === request?.spanId);
  t.ok(statements.length >= 1, 'the statement spans are children of the request span');
  for (const statement of statements) {
    t.equal(statement.name, 'SELECT');
    t.match(attribute(statement, 'db.query.text')?.stringValue, /"bucketlists"/);
    t.equal(attribute(statement, 'db.system.name')?.stringValue, 'postgresql');
  }
  t.match(paths[0], /^POST \/v1\/traces application\/json/);

  // A request without a traceparent starts a trace of its own.
  await app.inject({ method: 'GET', url: '/v1/users/me', headers: user.headers });
  const all = await receivedSpans((spans) => spans.some((span) => span.name === 'GET /v1/users/me'));
  const me = all.find((span) => span.name === 'GET /v1/users/me');
  t.ok(me);
  t.not(me?.traceId, traceId);
  t.notOk(me?.parentSpanId, 'a root span');

  // A request no route matches is named as /metrics labels it: one name, however many URLs.
  await app.inject({ method: 'GET', url: '/no/such/route', headers: user.headers });
  const unmatched = await receivedSpans((spans) => spans.some((span) => span.name === 'GET unmatched'));
  t.ok(unmatched.some((span) => span.name === 'GET unmatched'));
});

/** A new user's export, queued by a request that continues the client's trace `traceId`. */
async function queueExport(t: Test, app: App, traceId: string) {
  const user = await signUp(app);
  await createBucketlist(app, user.headers);
  const response = await app.inject({
    method: 'POST',
    url: '/v1/exports',
    headers: { ...user.headers, traceparent: `00-${traceId}-b7ad6b7169203331-01` },
  });
  t.equal(response.statusCode, 202);
  return response.json().id as number;
}

/** The export's request and job spans of one trace: the job a child of the request, its statements its children. */
function checkJobSpans(t: Test, spans: ReceivedSpan[]) {
  const request = spans.find((span) => span.name === 'POST /v1/exports');
  const job = spans.find((span) => span.name === 'job export');
  t.ok(request && job, 'the request and its job, in one trace');
  t.equal(job?.parentSpanId, request?.spanId, 'the job is a child of the request that queued it');
  const statements = spans.filter((span) => span.parentSpanId === job?.spanId);
  t.ok(
    statements.some((span) => span.name === 'UPDATE'),
    "the job's statements are its children",
  );
  for (const statement of statements) t.equal(attribute(statement, 'db.system.name')?.stringValue, 'postgresql');
}

t.test('an export job runs in a span of the trace of the request that queued it', async (t) => {
  const app = await build(t, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, JOB_POLL_INTERVAL: '0.5' } });
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  await queueExport(t, app, traceId);
  const spans = await spansOf(traceId, (found) => {
    const job = found.find((span) => span.name === 'job export');
    return job !== undefined && found.some((span) => span.parentSpanId === job.spanId);
  });
  checkJobSpans(t, spans);
});

t.test(
  'a job run by a worker process is a child of the request that queued it, with its statements under it',
  process.env.TEST_DATABASE_URL
    ? {}
    : { skip: 'needs PostgreSQL (TEST_DATABASE_URL): the embedded database serves one process' },
  async (t) => {
    // The API only queues; the worker process runs the job and sends its spans on its own.
    const { app, database } = await buildWithDatabase(t, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, WORKERS_IN_PROCESS: 'false' },
    });
    const worker = await startWorkerProcess(t, {
      DATABASE_URL: database.url as string,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    const traceId = '5cf92f3577b34da6a3ce929d0e0e4737';
    const exportId = await queueExport(t, app, traceId);
    await waitFor(async () => {
      const [row] = (await app.database.execute('select status from exports where id = $1', [exportId])).rows;
      return row?.status === 'done';
    });
    // Stopping sends the spans still batched: they are all in once the process has exited.
    worker.child.kill('SIGTERM');
    t.equal(await worker.exited, 0, 'a clean exit');
    checkJobSpans(t, await spansOf(traceId, (found) => found.some((span) => span.name === 'POST /v1/exports')));
  },
);
