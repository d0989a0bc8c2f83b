import t from 'tap';
import { build } from '../helper.js';

t.test('GET /healthz answers 200 {"status":"ok"}', async (t) => {
  const app = await build(t);
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { status: 'ok' });
  t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('GET /readyz answers 200 while the database answers', async (t) => {
  const app = await build(t);
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { status: 'ok' });
});
