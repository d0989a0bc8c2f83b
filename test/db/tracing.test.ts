/**
 * Database and job spans (src/db/tracing.ts), recorded in memory: a real tracer provider, a real
 * PGlite, and postgres.js pointed at a port nobody listens on (the embedded run has no server;
 * the postgres.js wrapper's spans on a live server are checked by test/plugins/tracing.test.ts).
 */
import * as api from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import t from 'tap';
import { connectPostgres } from '../../src/db/client.js';
import { startPGlite, wrapEmbedded } from '../../src/db/embedded.js';
import { type Telemetry, traceJob, tracePglite, tracePostgres, traceStatement } from '../../src/db/tracing.js';
import { isDatabaseUnavailable } from '../../src/plugins/errors.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
// The context manager that makes a span active across awaits, and the W3C propagator.
provider.register();
const telemetry: Telemetry = { api, tracer: provider.getTracer('test') };
t.teardown(() => provider.shutdown());

/** Runs `work` in a request-like parent span; returns the spans it made, the parent last. */
async function spansOf(work: () => Promise<unknown>) {
  exporter.reset();
  await telemetry.tracer.startActiveSpan('request', async (span) => {
    try {
      await work();
    } finally {
      span.end();
    }
  });
  return exporter.getFinishedSpans();
}

/** The error `promise` rejects with (the test fails if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

t.test('a statement outside any span runs without making one', async (t) => {
  exporter.reset();
  t.equal(await traceStatement(telemetry, 'select 1', async () => 'rows'), 'rows');
  t.same(exporter.getFinishedSpans(), []);
});

t.test('a statement span is named after its first word, or SQL when it starts with none', async (t) => {
  const spans = await spansOf(async () => {
    await traceStatement(telemetry, '  insert into "items" values ($1)', async () => []);
    await traceStatement(telemetry, '(select 1) union (select 2)', async () => []);
  });
  t.same(
    spans.map((span) => span.name),
    ['INSERT', 'SQL', 'request'],
  );
  const [insert, union, request] = spans;
  t.equal(insert?.parentSpanContext?.spanId, request?.spanContext().spanId, 'a child of the active span');
  t.same(union?.attributes, { 'db.system.name': 'postgresql', 'db.query.text': '(select 1) union (select 2)' });
});

t.test("a failing statement's span records the error, which still reaches the caller", async (t) => {
  const failure = new Error('relation "nowhere" does not exist');
  let caught: unknown;
  const spans = await spansOf(async () => {
    caught = await rejectionOf(traceStatement(telemetry, 'select * from nowhere', () => Promise.reject(failure)));
  });
  t.equal(caught, failure);
  t.equal(spans[0]?.name, 'SELECT');
  t.same(spans[0]?.status, { code: api.SpanStatusCode.ERROR, message: 'relation "nowhere" does not exist' });
});

t.test('a job without a trace carrier starts a trace of its own; with one it continues it', async (t) => {
  exporter.reset();
  await traceJob(telemetry, 'export', undefined, async () => {});
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const carrier = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
  await traceJob(telemetry, 'export', carrier, async () => {});
  const [root, child] = exporter.getFinishedSpans();
  t.equal(root?.name, 'job export');
  t.equal(root?.parentSpanContext, undefined, 'a root span');
  t.same(root?.attributes, { 'messaging.destination.name': 'export' });
  t.not(root?.spanContext().traceId, traceId);
  t.equal(child?.spanContext().traceId, traceId);
  t.equal(child?.parentSpanContext?.spanId, '00f067aa0ba902b7', "a child of the request's span");
});

t.test('PGlite traced: statements and the statements of a transaction get spans', async (t) => {
  const client = await startPGlite();
  t.teardown(() => client.close());
  await client.exec('create table notes (body text)');
  const handle = wrapEmbedded(client).traced(telemetry);
  const spans = await spansOf(async () => {
    await handle.db.execute(sql`select 1 as one`);
    await handle.db.transaction((tx) => tx.execute(sql`insert into notes values ('in a transaction')`));
    await handle.execute('delete from notes where body = $1', ['in a transaction']);
  });
  t.same(
    spans.map((span) => span.name),
    // The transaction's own BEGIN and COMMIT are PGlite's, not statements Drizzle sends.
    ['SELECT', 'INSERT', 'DELETE', 'request'],
  );
  t.same((await client.query('select count(*)::int as count from notes')).rows, [{ count: 0 }]);
});

t.test("PGlite traced: the client's other members are PGlite's own", async (t) => {
  const client = await startPGlite();
  t.teardown(() => client.close());
  const traced = tracePglite(client, telemetry);
  t.equal(traced.ready, true, 'a property');
  const spans = await spansOf(async () => {
    const [result] = await traced.exec('select 2 as two');
    t.same(result?.rows, [{ two: 2 }], 'a method, bound to the client');
  });
  t.same(
    spans.map((span) => span.name),
    ['request'],
    'exec() is not traced: Drizzle sends every statement through query()',
  );
});

t.test('postgres.js traced: a statement is a span when it runs, and its failure is recorded', async (t) => {
  const handle = connectPostgres('postgres://nobody@127.0.0.1:1/none', 1).traced(telemetry);
  t.teardown(() => handle.close());
  let driverError: unknown;
  let queueError: unknown;
  const spans = await spansOf(async () => {
    driverError = await rejectionOf(handle.db.execute(sql`select 1`));
    queueError = await rejectionOf(handle.execute('select $1::int', [1]));
  });
  t.ok(isDatabaseUnavailable(driverError), "Drizzle's statement fails as unavailable");
  t.ok(isDatabaseUnavailable(queueError), "the queue's statement fails as unavailable");
  t.same(
    spans.map((span) => [span.name, span.status.code]),
    [
      ['SELECT', api.SpanStatusCode.ERROR],
      ['SELECT', api.SpanStatusCode.ERROR],
      ['request', api.SpanStatusCode.UNSET],
    ],
  );
  t.match(spans[0]?.attributes, { 'db.query.text': 'select 1' });
});

t.test(
  'postgres.js traced: a query built in steps keeps its span, and a transaction fails as unavailable',
  async (t) => {
    const sqlClient = postgres('postgres://nobody@127.0.0.1:1/none', {
      max: 1,
      connect_timeout: 5,
      onnotice: () => {},
    });
    t.teardown(() => sqlClient.end({ timeout: 1 }));
    const traced = tracePostgres(sqlClient, telemetry);
    let stepError: unknown;
    let transactionError: unknown;
    const spans = await spansOf(async () => {
      const query = traced.unsafe('select 1 as one');
      t.equal(query.values(), query, 'a step that returns the query keeps the traced query');
      stepError = await rejectionOf(query.values());
      transactionError = await rejectionOf(traced.begin(async (tx) => tx.unsafe('select 2')));
    });
    t.ok(isDatabaseUnavailable(stepError));
    t.ok(isDatabaseUnavailable(transactionError));
    t.same(
      spans.map((span) => span.name),
      // The transaction never started: its statement was never sent.
      ['SELECT', 'request'],
    );
  },
);
