import t from 'tap';
import { Redis } from 'ioredis';
import { build, expectProblem } from '../helper.js';
import {
  deleteKeys,
  freePort,
  ownRedisServer,
  redisServerMissing,
  SHARED_REDIS_URL,
  sharedRedisMissing,
  testKeyPrefix,
} from '../setup/redis.js';

const login = (app: Awaited<ReturnType<typeof build>>, remoteAddress: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    remoteAddress,
    payload: { email: 'limit@example.com', password: 'whatever-password' },
  });

const storeErrors = async (app: Awaited<ReturnType<typeof build>>) => {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(/^rate_limit_store_errors_total (\d+)$/m.exec(text)?.[1]);
};

const sharedMissing = await sharedRedisMissing();

t.test(
  'with REDIS_URL, two instances share one count: the limit holds for both together',
  { skip: sharedMissing },
  async (t) => {
    const prefix = testKeyPrefix('shared');
    t.teardown(() => deleteKeys(prefix));
    const env = { AUTH_RATE_LIMIT_MAX: '3', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const [first, second] = [await build(t, { env }), await build(t, { env })];
    const address = '198.51.100.20';
    t.equal((await login(first, address)).headers['ratelimit-remaining'], '2');
    t.equal((await login(second, address)).headers['ratelimit-remaining'], '1');
    t.equal((await login(first, address)).headers['ratelimit-remaining'], '0');
    const refused = await login(second, address);
    expectProblem(t, refused, 429, 'rate_limited');
    t.match(refused.headers['retry-after'], /^\d+$/);

    const client = new Redis(SHARED_REDIS_URL);
    t.teardown(() => client.disconnect());
    const keys = await client.keys(`${prefix}*`);
    t.equal(keys.length, 1, 'one counter for the route and address');
    t.match(keys[0], /^bucketlist-test-\d+-shared:rate-limit:POST\/v1\/auth\/login-/);
    t.equal(await client.get(keys[0] as string), '4');
    t.equal(await storeErrors(first), 0, 'no store errors counted');
  },
);

t.test('without REDIS_URL, each instance counts alone and /metrics has no store counter', async (t) => {
  const env = { AUTH_RATE_LIMIT_MAX: '1' };
  const [first, second] = [await build(t, { env }), await build(t, { env })];
  t.equal((await login(first, '198.51.100.21')).statusCode, 401);
  t.equal((await login(second, '198.51.100.21')).statusCode, 401, 'the other process has its own count');
  expectProblem(t, await login(first, '198.51.100.21'), 429, 'rate_limited');
  t.ok(Number.isNaN(await storeErrors(first)));
});

t.test('Redis down at start: requests pass uncounted, each miss is counted in /metrics', async (t) => {
  const port = await freePort();
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1', REDIS_URL: `redis://127.0.0.1:${port}` } });
  for (let i = 0; i < 3; i++) t.equal((await login(app, '198.51.100.22')).statusCode, 401, 'fails open');
  t.equal(await storeErrors(app), 3);
});

t.test(
  'Redis stopping and coming back: fail open meanwhile, then the limit holds again',
  { skip: redisServerMissing() },
  async (t) => {
    const redis = await ownRedisServer(await freePort());
    t.teardown(redis.stop);
    const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '2', REDIS_URL: redis.url } });
    const address = '198.51.100.23';
    t.equal((await login(app, address)).headers['ratelimit-remaining'], '1', 'counted in Redis');

    await redis.stop();
    for (let i = 0; i < 3; i++) t.equal((await login(app, address)).statusCode, 401, 'Redis down: not refused');
    t.ok((await storeErrors(app)) >= 3, 'the misses are counted');

    // A fresh server (no persistence): the count starts over once the client has reconnected.
    await redis.start();
    let remaining: unknown;
    for (let attempt = 0; attempt < 50 && remaining !== '1'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      remaining = (await login(app, address)).headers['ratelimit-remaining'];
    }
    t.equal(remaining, '1', 'counting again');
    t.equal((await login(app, address)).headers['ratelimit-remaining'], '0');
    expectProblem(t, await login(app, address), 429, 'rate_limited');
  },
);
