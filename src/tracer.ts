/**
 * The tracer provider of a process with tracing on: the API's (through the tracing plugin) and
 * the worker shell's. Spans are sent in batches as OTLP/HTTP JSON to `<endpoint>/v1/traces`.
 * Imported only on demand, so with tracing off none of OpenTelemetry is loaded; it holds nothing
 * of Fastify's, so the worker shell loads no HTTP instrumentation.
 */
import * as api from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config.js';
import type { Telemetry } from './db/tracing.js';

/** The OTLP/HTTP traces URL under an endpoint (OpenTelemetry's exporter specification: `<endpoint>/v1/traces`). */
export const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, '')}/v1/traces`;

export interface ProcessTracing {
  provider: NodeTracerProvider;
  telemetry: Telemetry;
}

/** Starts the process's tracer provider; its `shutdown()` sends the spans still batched. */
export function startTracerProvider(config: TracingConfig): ProcessTracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(config.endpoint) }))],
  });
  // The process's context manager (AsyncLocalStorage) and the W3C trace context propagator.
  provider.register();
  return { provider, telemetry: { api, tracer: provider.getTracer(config.serviceName) } };
}
