/**
 * Rate limiting (@fastify/rate-limit, opted into per route). With a Redis URL the counters live in
 * Redis, so a limit holds across every instance; otherwise each process counts alone. When Redis
 * does not answer, requests pass uncounted (fail open): an outage of the limiter's store must not
 * become an outage of login. Each such miss is logged and counted in /metrics, and counting
 * resumes by itself once Redis is back.
 */
import rateLimit, { type FastifyRateLimitOptions, type FastifyRateLimitStore } from '@fastify/rate-limit';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import type { Config } from '../config.js';

// A rate-limit check is on the request's path: a slow Redis must cost little before failing open.
const COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;

type StoreCallback = Parameters<FastifyRateLimitStore['incr']>[1];

function connectRedis(url: string): Redis {
  return new Redis(url, {
    // Without a connection, a command fails at once instead of queueing: the request fails open.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
}

export default fp<{ store: Config['rateLimitStore'] }>(
  async function rateLimiter(app, { store }) {
    if (store.kind === 'memory') {
      await app.register(rateLimit, { global: false, enableDraftSpec: true });
      return;
    }
    const storeErrors = new Counter({
      name: 'rate_limit_store_errors_total',
      help: 'Rate-limit checks that Redis did not answer; those requests passed uncounted.',
      registers: [app.metricsRegistry],
    });
    const redis = connectRedis(store.url);
    redis.on('error', (error: Error) => app.log.warn({ err: error }, 'rate-limit store: Redis connection error'));
    app.addHook('onClose', () => redis.disconnect());
    // Start counting at once when Redis is up; when it is down, start anyway and fail open.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });

    const failOpen =
      (callback: StoreCallback): StoreCallback =>
      (error, result) => {
        if (error) {
          storeErrors.inc();
          app.log.warn({ err: error }, 'rate-limit store unavailable; request not counted');
        }
        callback(error, result);
      };
    const namespace = `${store.keyPrefix}rate-limit:`;
    /** The library's Redis store, with every failed command counted and logged. */
    class CountedRedisStore implements FastifyRateLimitStore {
      private readonly inner: RedisStore;
      // The plugin constructs the root store from its options (none of which it needs here: the
      // routes set no exceeding or backoff behaviour); children wrap the library's children.
      constructor(inner?: RedisStore | FastifyRateLimitOptions) {
        this.inner = inner instanceof RedisStore ? inner : new RedisStore(false, false, redis, namespace);
      }
      incr(key: string, callback: StoreCallback, timeWindow: number, max: number) {
        this.inner.incr(key, failOpen(callback), timeWindow, max);
      }
      child(routeOptions: unknown) {
        return new CountedRedisStore(this.inner.child(routeOptions));
      }
    }
    await app.register(rateLimit, {
      global: false,
      enableDraftSpec: true,
      skipOnError: true,
      store: CountedRedisStore,
    });
  },
  { name: 'rate-limiter', fastify: '5.x', dependencies: ['metrics'] },
);
