/**
 * Tracing (OpenTelemetry), loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: app.ts imports
 * this module on demand, so with tracing off none of OpenTelemetry is loaded. A W3C `traceparent`
 * on a request is continued; each request gets one span named after its route template
 * (@fastify/otel), its database statements child spans (src/db/tracing.ts), and a job it queues
 * carries the trace on. Spans are sent in batches as OTLP/HTTP JSON to `<endpoint>/v1/traces`.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import * as api from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { FastifyInstance } from 'fastify';
import type { TracingConfig } from '../config.js';
import type { Telemetry } from '../db/tracing.js';
import { UNMATCHED_ROUTE } from './metrics.js';

/** The OTLP/HTTP traces URL under an endpoint (OpenTelemetry's exporter specification: `<endpoint>/v1/traces`). */
export const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, '')}/v1/traces`;

/** Starts the tracer provider and instruments the app; call before any other plugin, so every hook is inside the request's span. */
export async function startTracing(app: FastifyInstance, config: TracingConfig): Promise<Telemetry> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(config.endpoint) }))],
  });
  // The process's context manager (AsyncLocalStorage) and the W3C trace context propagator.
  provider.register();
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
  return { api, tracer: provider.getTracer(config.serviceName) };
}
