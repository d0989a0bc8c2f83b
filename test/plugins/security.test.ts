import t from 'tap';
import { build } from '../helper.js';

const APP_ORIGIN = 'https://app.example';
const OTHER_APP_ORIGIN = 'http://localhost:5173';

t.test('security headers', async (t) => {
  const app = await build(t);

  t.test('every API response, errors included, is hardened', async (t) => {
    for (const url of ['/healthz', '/v1/users/me', '/v1/nowhere', '/openapi.json', '/metrics']) {
      const response = await app.inject({ method: 'GET', url });
      t.equal(response.headers['x-content-type-options'], 'nosniff', `${url} nosniff`);
      t.notOk(response.headers['x-powered-by'], `${url} no X-Powered-By`);
      t.equal(
        response.headers['content-security-policy'],
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
        `${url} strict CSP`,
      );
      t.equal(response.headers['x-frame-options'], 'DENY', `${url} X-Frame-Options`);
      t.equal(response.headers['referrer-policy'], 'no-referrer', `${url} Referrer-Policy`);
    }
  });

  t.test("the docs page gets Swagger UI's own strict CSP: same-origin scripts only, no inline code", async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs' });
    t.equal(response.statusCode, 200);
    t.equal(response.headers['x-content-type-options'], 'nosniff');
    const csp = String(response.headers['content-security-policy']);
    t.match(csp, /default-src 'self'/);
    t.match(csp, /script-src 'self'( 'sha256-[^']+')* ?;/);
    t.match(csp, /object-src 'none'/);
    t.match(csp, /script-src-attr 'none'/);
    t.notMatch(csp, /'unsafe-inline'|'unsafe-eval'/, 'no unsafe-inline or unsafe-eval');
  });

  t.test('the docs assets are nosniff too', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    t.equal(response.statusCode, 200);
    t.equal(response.headers['x-content-type-options'], 'nosniff');
  });
});

t.test('without CORS_ORIGINS no response carries CORS headers', async (t) => {
  const app = await build(t);
  const simple = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: APP_ORIGIN } });
  t.equal(simple.statusCode, 200);
  t.notOk(simple.headers['access-control-allow-origin']);
  t.notOk(simple.headers['access-control-expose-headers']);

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/bucketlists',
    headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
  });
  t.notOk(preflight.headers['access-control-allow-origin']);
  t.notOk(preflight.headers['access-control-allow-methods']);
  t.ok(preflight.statusCode >= 400, `the preflight is refused (${preflight.statusCode})`);
  t.match(preflight.headers['content-type'], /^application\/problem\+json/);
});

t.test('with CORS_ORIGINS', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: `${APP_ORIGIN}, ${OTHER_APP_ORIGIN}` } });

  t.test('a preflight from an allowed origin is answered 204 with what the client may send', async (t) => {
    for (const origin of [APP_ORIGIN, OTHER_APP_ORIGIN]) {
      const response = await app.inject({
        method: 'OPTIONS',
        url: '/v1/bucketlists/1',
        headers: {
          origin,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization, content-type, if-match',
        },
      });
      t.equal(response.statusCode, 204, origin);
      t.equal(response.headers['access-control-allow-origin'], origin);
      t.match(response.headers.vary, /Origin/);
      const methods = String(response.headers['access-control-allow-methods']).split(/, */);
      t.same(methods.sort(), ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']);
      const headers = String(response.headers['access-control-allow-headers']).toLowerCase().split(/, */);
      for (const header of ['authorization', 'content-type', 'if-match', 'if-none-match', 'x-request-id']) {
        t.ok(headers.includes(header), `allows ${header}`);
      }
      t.equal(response.headers['access-control-max-age'], '600');
      t.notOk(response.headers['access-control-allow-credentials'], 'no credentials: bearer tokens, no cookies');
    }
  });

  t.test('responses to an allowed origin expose the headers clients need', async (t) => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { origin: APP_ORIGIN },
      payload: { email: 'nobody@example.com', password: 'not the password' },
    });
    t.equal(response.statusCode, 401);
    t.equal(response.headers['access-control-allow-origin'], APP_ORIGIN);
    t.ok(response.headers['ratelimit-limit'], 'the rate-limit headers are there to read');
    const exposed = String(response.headers['access-control-expose-headers']).toLowerCase().split(/, */);
    for (const header of [
      'etag',
      'location',
      'link',
      'x-request-id',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'retry-after',
      'www-authenticate',
    ]) {
      t.ok(exposed.includes(header), `exposes ${header}`);
    }
  });

  t.test('another origin gets no CORS headers and its preflight is refused', async (t) => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/bucketlists',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    t.notOk(preflight.headers['access-control-allow-origin']);
    t.notOk(preflight.headers['access-control-allow-methods']);
    t.equal(preflight.statusCode, 405);
    t.equal(preflight.json().code, 'method_not_allowed');

    const simple = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    t.equal(simple.statusCode, 200, 'the server answers; the browser withholds it from the page');
    t.notOk(simple.headers['access-control-allow-origin']);
    t.match(simple.headers.vary, /Origin/, 'Vary: Origin, so caches do not mix origins');
  });

  t.test('a request without Origin (not from a browser page) gets no CORS headers', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    t.equal(response.statusCode, 200);
    t.notOk(response.headers['access-control-allow-origin']);
  });

  t.test('an origin that only resembles an allowed one is refused', async (t) => {
    for (const origin of ['https://app.example.evil.example', 'http://app.example', 'null']) {
      const response = await app.inject({ method: 'GET', url: '/healthz', headers: { origin } });
      t.notOk(response.headers['access-control-allow-origin'], origin);
    }
  });
});
