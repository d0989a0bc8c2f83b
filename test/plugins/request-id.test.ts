import t from 'tap';
import { build } from '../helper.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('a sane X-Request-Id from the client is echoed back', async (t) => {
  const app = await build(t);
  for (const id of ['abc-123', 'trace.span:42_x', 'a'.repeat(128), '5f3c1d2e-9b7a-4c1e-8f00-123456789abc']) {
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
    t.equal(response.headers['x-request-id'], id, id);
  }
});

t.test('an insane or too long X-Request-Id is replaced by a new UUID', async (t) => {
  const app = await build(t);
  for (const id of ['a'.repeat(129), 'has space', 'semi;colon', '<script>', 'ümlaut', 'new\\nline', '']) {
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
    t.match(response.headers['x-request-id'], UUID, JSON.stringify(id));
    t.not(response.headers['x-request-id'], id);
  }
});

t.test('without X-Request-Id every response gets a different new id', async (t) => {
  const app = await build(t);
  const ids = new Set<unknown>();
  for (let i = 0; i < 5; i++) {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    t.match(response.headers['x-request-id'], UUID);
    ids.add(response.headers['x-request-id']);
  }
  t.equal(ids.size, 5);
});

t.test("a problem's instance is the request id of its response", async (t) => {
  const app = await build(t);

  t.test('with the client id', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/nowhere', headers: { 'x-request-id': 'req-404' } });
    t.equal(response.statusCode, 404);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.equal(response.headers['x-request-id'], 'req-404');
    t.equal(response.json().instance, 'req-404');
  });

  t.test('with a generated id, on a 401 and on a 400', async (t) => {
    const unauthorized = await app.inject({ method: 'GET', url: '/v1/users/me' });
    t.equal(unauthorized.statusCode, 401);
    t.match(unauthorized.headers['x-request-id'], UUID);
    t.equal(unauthorized.json().instance, unauthorized.headers['x-request-id']);

    const invalid = await app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'x-request-id': 'bad id!' },
      payload: { email: 'not-an-email' },
    });
    t.equal(invalid.statusCode, 400);
    t.match(invalid.headers['x-request-id'], UUID);
    t.equal(invalid.json().instance, invalid.headers['x-request-id']);
  });
});
