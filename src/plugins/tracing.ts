/**
 * Tracing (OpenTelemetry), loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: app.ts imports
 * this module on demand, so with tracing off none of OpenTelemetry is loaded. A W3C `traceparent`
 * on a request is continued; each request gets one span named after its route template
 * (@fastify/otel), its database statements child spans (src/db/tracing.ts), and a job it queues
 * carries the trace on. The provider and its exporter are src/tracer.ts.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { FastifyInstance } from 'fastify';
import type { TracingConfig } from '../config.js';
import type { Telemetry } from '../db/tracing.js';
import { startTracerProvider } from '../tracer.js';
import { UNMATCHED_ROUTE } from './metrics.js';

/** Starts the tracer provider and instruments the app; call before any other plugin, so every hook is inside the request's span. */
export async function startTracing(app: FastifyInstance, config: TracingConfig): Promise<Telemetry> {
  const { provider, telemetry } = startTracerProvider(config);
  const instrumentation = new FastifyOtelInstrumentation({
    // One span per request: hook and handler spans would sit between it and the statements.
    instrumentHooks: false,
    instrumentHandler: false,
    requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? UNMATCHED_ROUTE}`),
  });
  instrumentation.setTracerProvider(provider);
  await app.register(instrumentation.plugin());
  // Last to close: the spans of everything else's closing are flushed too.
  app.addHook('onClose', () => provider.shutdown());
  return telemetry;
}
