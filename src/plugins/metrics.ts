/**
 * Prometheus metrics at GET /metrics: request latencies by route template, method and status
 * (the histogram's `_count` is the request count), plus the process metrics prom-client collects
 * (CPU, memory, event loop, GC).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry, served at /metrics: other plugins add their metrics to it. */
    metricsRegistry: Registry;
  }
}

/** The route label of requests no route matched (404, 405): one value, however many URLs are probed. */
export const UNMATCHED_ROUTE = 'unmatched';

const LABELS = ['method', 'route', 'status_code'] as const;

// Seconds; from a fast indexed read to a slow password hash, and the request timeout's range.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry, for plugins that count something of their own. */
    metricsRegistry: Registry;
  }
}

let processRegistry: Registry | undefined;

/**
 * The process metrics live in one registry per process, since they describe the process and
 * collecting them twice would start a second event-loop monitor and GC observer.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export default fp(
  async function metrics(app) {
    // The request metrics belong to this app instance (tests build many apps in one process).
    const registry = new Registry();
    const durations = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, by method, route template and status code.',
      labelNames: LABELS,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    const perProcess = processMetrics();
    app.decorate('metricsRegistry', registry);

    // A histogram's `_count` already counts the requests; a separate counter would only double the
    // work per request.
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      // The route's template (`/v1/bucketlists/:id`), never the raw URL: the label set stays bounded.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: reply.statusCode,
      };
      durations.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    // Hidden from the OpenAPI document, like /docs and /openapi.json: it is for the scraper on the
    // private network, not part of the API a generated SDK should call.
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = (await perProcess.metrics()) + (await registry.metrics());
      return reply.type(registry.contentType).send(text);
    });
  },
  { name: 'metrics', fastify: '5.x' },
);
