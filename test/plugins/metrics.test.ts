import t from 'tap';
import type { App } from '../../src/app.js';
import { build, createBucketlist, signUp } from '../helper.js';

/** The request count: a histogram's `_count`. */
const REQUESTS = 'http_request_duration_seconds_count';

async function scrape(app: App) {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  return { response, text: response.body };
}

/** The value of one sample line, e.g. `http_request_duration_seconds_count{...} 3`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string | number>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((label) => candidate.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('GET /metrics answers the Prometheus text format, without authentication', async (t) => {
  const app = await build(t);
  const { response } = await scrape(app);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  t.match(response.body, /^# HELP http_request_duration_seconds /m);
  t.match(response.body, /^# TYPE http_request_duration_seconds histogram$/m);
});

t.test('requests are counted and timed by route template, method and status code', async (t) => {
  const app = await build(t);
  const user = await signUp(app);
  const bucketlist = await createBucketlist(app, user.headers);
  await app.inject({ method: 'GET', url: `/v1/bucketlists/${bucketlist.id}`, headers: user.headers });
  await app.inject({ method: 'GET', url: `/v1/bucketlists/${bucketlist.id}?x=1`, headers: user.headers });
  await app.inject({ method: 'GET', url: '/v1/bucketlists/999999', headers: user.headers });

  const { text } = await scrape(app);
  const route = '/v1/bucketlists/:id';
  t.equal(sample(text, REQUESTS, { method: 'GET', route, status_code: 200 }), 2);
  t.equal(sample(text, REQUESTS, { method: 'GET', route, status_code: 404 }), 1);
  t.equal(sample(text, REQUESTS, { method: 'POST', route: '/v1/bucketlists', status_code: 201 }), 1);
  t.equal(sample(text, REQUESTS, { method: 'POST', route: '/v1/auth/login', status_code: 200 }), 1);
  t.equal(
    sample(text, 'http_request_duration_seconds_bucket', { le: '+Inf', method: 'GET', route, status_code: 200 }),
    2,
  );
  t.ok(
    (sample(text, 'http_request_duration_seconds_sum', { method: 'GET', route, status_code: 200 }) ?? -1) > 0,
    'durations are observed',
  );
  t.notOk(text.includes(`/v1/bucketlists/${bucketlist.id}"`), 'no raw URL is a label value');
  t.notOk(text.includes('/999999'), 'no raw id is a label value');
});

t.test('unknown URLs share one label value, so probing cannot grow the label set', async (t) => {
  const app = await build(t);
  for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url: `/wp-admin/${i}.php` });
  await app.inject({ method: 'DELETE', url: '/healthz' });

  const { text } = await scrape(app);
  t.equal(sample(text, REQUESTS, { method: 'GET', route: 'unmatched', status_code: 404 }), 20);
  t.equal(sample(text, REQUESTS, { method: 'DELETE', route: 'unmatched', status_code: 405 }), 1);
  t.notOk(text.includes('wp-admin'));
});

t.test('process metrics are included', async (t) => {
  const app = await build(t);
  const { text } = await scrape(app);
  for (const name of [
    'process_cpu_user_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes',
  ]) {
    t.match(text, new RegExp(`^${name} `, 'm'), name);
  }
});

t.test('each app instance counts its own requests (no "already registered" error)', async (t) => {
  const first = await build(t);
  const second = await build(t);
  await first.inject({ method: 'GET', url: '/healthz' });
  await first.inject({ method: 'GET', url: '/healthz' });
  await second.inject({ method: 'GET', url: '/healthz' });
  const labels = { method: 'GET', route: '/healthz', status_code: 200 };
  t.equal(sample((await scrape(first)).text, REQUESTS, labels), 2);
  t.equal(sample((await scrape(second)).text, REQUESTS, labels), 1);
});

t.test('/metrics is not part of the OpenAPI document (it is for the scraper, like /docs)', async (t) => {
  const app = await build(t);
  const document = app.swagger() as { paths: Record<string, unknown> };
  t.notOk(document.paths['/metrics']);
});
