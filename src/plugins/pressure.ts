/**
 * Load shedding: while the process is overloaded (@fastify/under-pressure) or shutting down, new
 * requests get a quick `503 service_unavailable` with `Retry-After` from the one error renderer,
 * instead of queueing until they time out.
 */
import underPressure, {
  type FastifyUnderPressureOptions,
  TYPE_EVENT_LOOP_DELAY,
  TYPE_EVENT_LOOP_UTILIZATION,
} from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import { serviceUnavailable } from '../errors.js';

export type PressureOptions = Pick<
  FastifyUnderPressureOptions,
  | 'maxEventLoopDelay'
  | 'maxEventLoopUtilization'
  | 'eventLoopUtilizationMode'
  | 'maxHeapUsedBytes'
  | 'maxRssBytes'
  | 'sampleInterval'
  | 'healthCheck'
  | 'healthCheckInterval'
>;

/**
 * An average event-loop delay of a second means requests already wait longer than a client
 * would. Utilization is deliberately not a trigger: a process serving one fast client flat out
 * is ~100% busy yet answers in milliseconds, and shedding it would break the contract's promise
 * of 1,000 requests a minute per client. Memory is left to the container's limit (the embedded
 * database alone takes ~0.5 GB).
 */
export const DEFAULT_PRESSURE_LIMITS: PressureOptions = {
  maxEventLoopDelay: 1000,
};

/**
 * Probes that must tell the truth about the process even when it sheds load. /readyz is not one:
 * while requests are shed it must say 503 too, so that a balancer stops sending them.
 */
const ALWAYS_ANSWERED = new Set(['/healthz', '/metrics']);

export default fp<PressureOptions>(
  async function pressure(app, options) {
    const limits: PressureOptions = {
      ...DEFAULT_PRESSURE_LIMITS,
      // While the database does not answer, refuse at once instead of queueing requests behind it.
      ...(app.hasDecorator('pingDatabase')
        ? {
            healthCheck: () =>
              app.pingDatabase().then(
                () => true,
                () => false,
              ),
            healthCheckInterval: 1000,
          }
        : {}),
      ...options,
    };
    // The event-loop samples that overlap the start (opening the database, compiling schemas) measure
    // that work, not load: they are ignored until two sample intervals after the app is ready.
    const sampleInterval = Math.max(limits.sampleInterval ?? 1000, 10);
    let loopSamplesTrustedFrom = Number.POSITIVE_INFINITY;
    app.addHook('onReady', async () => {
      loopSamplesTrustedFrom = Date.now() + 2 * sampleInterval;
    });
    const measuresTheLoop = new Set<string>([TYPE_EVENT_LOOP_DELAY, TYPE_EVENT_LOOP_UTILIZATION]);

    await app.register(underPressure, {
      ...limits,
      // Throwing hands the 503 to the error handler, so it is a problem+json like every other error.
      pressureHandler: async (request, _reply, type) => {
        if (request.routeOptions.url !== undefined && ALWAYS_ANSWERED.has(request.routeOptions.url)) return;
        if (measuresTheLoop.has(type) && Date.now() < loopSamplesTrustedFrom) return;
        throw serviceUnavailable('The server is overloaded; try again shortly.');
      },
    });

    // While the app closes, in-flight requests finish but new ones (on kept-alive connections)
    // are refused, so a load balancer retries them on another instance.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', (_request, _reply, done) => {
      if (closing) throw serviceUnavailable('The server is shutting down; try again shortly.');
      done();
    });
  },
  { name: 'pressure', fastify: '5.x', dependencies: ['errors'] },
);
