/**
 * A span for each database statement, made at the driver boundary (postgres.js and PGlite have no
 * instrumentation of their own): the clients Drizzle is given are wrapped, only when tracing is
 * on. A statement gets a span only inside a request's or a job's span, so the queue's idle
 * polling makes no traces of its own. Only the OpenTelemetry API's types are imported here.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type postgres from 'postgres';

/** The tracer, and the API it came from (loaded by the tracing plugin, so this module loads none of it). */
export interface Telemetry {
  api: typeof OpenTelemetryApi;
  tracer: OpenTelemetryApi.Tracer;
}

/** W3C trace context headers (`traceparent`, `tracestate`) carried by a job from the request that queued it. */
export type TraceCarrier = Record<string, string>;

/** The active trace context, to hand to a job. */
export function currentTraceCarrier({ api }: Telemetry): TraceCarrier {
  const carrier: TraceCarrier = {};
  api.propagation.inject(api.context.active(), carrier);
  return carrier;
}

/** Runs a job in a span of its own, a child of the request that queued it when it carries one. */
export function traceJob<T>(
  telemetry: Telemetry,
  queue: string,
  carrier: TraceCarrier | undefined,
  run: () => Promise<T>,
) {
  const { api } = telemetry;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, carrier ?? {});
  return withSpan(telemetry, `job ${queue}`, { 'messaging.destination.name': queue }, run, parent);
}

/** Runs a statement under a span named after its operation, with its text (never its values). */
export function traceStatement<T>(telemetry: Telemetry, text: string, run: () => Promise<T>): Promise<T> {
  const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  return withSpan(telemetry, operation, { 'db.system.name': 'postgresql', 'db.query.text': text }, run);
}

/**
 * `run` in a child span of the active one (none when there is no active span), or of the given
 * parent context (a job's, from its trace carrier); the span records a failure.
 */
export function withSpan<T>(
  { api, tracer }: Telemetry,
  name: string,
  attributes: Record<string, string>,
  run: () => Promise<T>,
  parent?: OpenTelemetryApi.Context,
): Promise<T> {
  const { context, trace, SpanStatusCode } = api;
  if (!parent && !trace.getSpan(context.active())) return run();
  return tracer.startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
    try {
      return await run();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

type Sql = postgres.Sql<Record<string, never>>;

/**
 * postgres.js, traced: `unsafe` (all Drizzle sends) returns a query that runs when it is first
 * awaited, so its span starts there; methods that return the query itself (`values()`) keep the
 * wrapper. Transactions get a traced client too.
 */
export function tracePostgres(client: Sql, telemetry: Telemetry): Sql {
  const wrapQuery = (query: object, text: string): object => {
    const wrapper: object = new Proxy(query, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (key === 'then') {
          return (onFulfilled: (rows: unknown) => unknown, onRejected: (error: unknown) => unknown) =>
            traceStatement(telemetry, text, () => (target as Promise<unknown>).then((rows) => rows)).then(
              onFulfilled,
              onRejected,
            );
        }
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = value.apply(target, args);
          return result === target ? wrapper : result;
        };
      },
    });
    return wrapper;
  };
  return new Proxy(client, {
    get(target, key) {
      if (key === 'unsafe') {
        return (text: string, ...rest: unknown[]) =>
          wrapQuery((target.unsafe as (...args: unknown[]) => object)(text, ...rest), text);
      }
      if (key === 'begin') {
        return (...args: unknown[]) => {
          const body = args.pop() as (sql: Sql) => unknown;
          return (target.begin as (...args: unknown[]) => unknown)(...args, (sql: Sql) =>
            body(tracePostgres(sql, telemetry)),
          );
        };
      }
      return Reflect.get(target, key);
    },
  });
}

/** PGlite (or a transaction of it), traced: `query` and `transaction`, which Drizzle uses. */
export function tracePglite<Client extends PGlite | Transaction>(client: Client, telemetry: Telemetry): Client {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'query') {
        return (text: string, ...rest: unknown[]) =>
          traceStatement(telemetry, text, () =>
            (target.query as (...args: unknown[]) => Promise<unknown>)(text, ...rest),
          );
      }
      if (key === 'transaction') {
        return (body: (tx: Transaction) => Promise<unknown>) =>
          (target as PGlite).transaction((tx) => body(tracePglite(tx, telemetry)));
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
