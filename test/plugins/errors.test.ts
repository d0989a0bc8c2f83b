import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/client.js';
import { toApiError } from '../../src/plugins/errors.js';
import { expectProblem, signUp, TEST_PRESSURE, testConfig } from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

const INTERNAL_SECRET = 'select password_hash from users -- internal detail';

// Every log line the app writes, to check what operators see (and what they must not).
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  },
});
/** The log lines of one request, found by the X-Request-Id it was sent with. */
const logsOf = (requestId: string) => logLines.filter((line) => line.includes(`"reqId":"${requestId}"`));

// One app for the whole file, with routes that fail in the ways the handler must render.
const database = await openTestDatabase();
const app = await buildApp(testConfig({ AUTH_RATE_LIMIT_MAX: '1000' }), {
  database,
  logger: { level: 'info', stream: logStream },
  pressure: TEST_PRESSURE,
});
// Answers after its (shortened) handler deadline: Fastify's handlerTimeout must end it as a 503 problem.
app.get('/test/too-slow', { handlerTimeout: 50 }, async () => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { late: true };
});
app.get('/test/throws', async () => {
  throw new Error(INTERNAL_SECRET);
});
app.get('/test/throws-500-with-status', async () => {
  throw Object.assign(new Error(INTERNAL_SECRET), { statusCode: 502 });
});
// A 4xx status that Node has no reason phrase for (a plugin's own).
app.get('/test/unnamed-client-status', async () => {
  throw Object.assign(new Error('Enhance your calm.'), { statusCode: 420 });
});
app.get('/test/connection-refused', async () => {
  throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
});
app.get('/test/admin-shutdown', async () => {
  const cause = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  throw new DrizzleQueryError('select "id" from "sessions" where "id" = $1', ['secret-param'], cause);
});
app.get('/test/disk-full', async () => {
  const cause = Object.assign(new Error('could not extend file "base/5/16397": No space left on device'), {
    code: '53100',
  });
  throw new DrizzleQueryError('insert into "bucketlists"', ['secret-param'], cause);
});
app.get('/test/unique-violation', async () => {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
  throw new DrizzleQueryError('insert into "users"', ['secret-param'], cause);
});
t.teardown(async () => {
  await app.close();
  await database.close();
});
await app.ready();
const reader = await signUp(app);

t.test('an unknown route is a 404 not_found problem', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
  const body = expectProblem(t, response, 404, 'not_found');
  t.same(Object.keys(body).sort(), ['code', 'detail', 'instance', 'status', 'title', 'type']);
});

t.test('regression: an undecodable URL (%FF) is a 400 problem with an X-Request-Id', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/bucketlists/%FF', headers: reader.headers });
  const body = expectProblem(t, response, 400, 'validation_error');
  t.equal(response.headers['x-request-id'], body.instance);
});

t.test('regression: a DELETE with a body that is not JSON is a 415 problem', async (t) => {
  const response = await app.inject({
    method: 'DELETE',
    url: '/v1/bucketlists/1',
    headers: { ...reader.headers, 'content-type': 'text/plain' },
    payload: 'hello',
  });
  expectProblem(t, response, 415, 'unsupported_media_type');
});

t.test('an unknown route outside /v1 is a 404 problem too', async (t) => {
  expectProblem(t, await app.inject({ method: 'POST', url: '/nope?x=1' }), 404, 'not_found');
});

t.test("the problem's instance is the client's sane X-Request-Id, echoed in the header", async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/nothing-here', headers: { 'x-request-id': 'abc-123' } });
  t.equal(response.headers['x-request-id'], 'abc-123');
  t.equal(expectProblem(t, response, 404, 'not_found').instance, 'abc-123');
});

t.test('an X-Request-Id that is not sane is replaced by a new one', async (t) => {
  const response = await app.inject({
    method: 'GET',
    url: '/v1/nothing-here',
    headers: { 'x-request-id': 'has spaces and <html>' },
  });
  t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  expectProblem(t, response, 404, 'not_found');
});

t.test('a wrong method on a known path is a 405 with an Allow header', async (t) => {
  const response = await app.inject({ method: 'DELETE', url: '/v1/users/me' });
  const body = expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'GET, HEAD');
  t.match(body.detail, /DELETE/);
});

t.test('a wrong method on a known path with a query string is still a 405 allowing its methods', async (t) => {
  const response = await app.inject({ method: 'DELETE', url: '/v1/users/me?fields=id&x=?' });
  expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'GET, HEAD');
});

t.test('GET on a POST-only route is a 405 that allows POST', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/auth/login' });
  expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'POST');
});

t.test('a wrong method on a collection path is a 405', async (t) => {
  const response = await app.inject({ method: 'DELETE', url: '/v1/bucketlists' });
  expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'GET, HEAD, POST');
});

t.test('a wrong method on a path with a parameter is a 405', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/v1/bucketlists/7' });
  expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'GET, HEAD, PUT, PATCH, DELETE');
});

t.test('a route of the request method that finds nothing is a 404, not a 405 allowing that method', async (t) => {
  for (const method of ['GET', 'HEAD'] as const) {
    const response = await app.inject({ method, url: '/docs/static/no-such-asset.js' });
    t.equal(response.statusCode, 404, method);
    t.equal(response.headers.allow, undefined, method);
    if (method === 'GET') expectProblem(t, response, 404, 'not_found');
  }
  // The wrong method on that path is still a 405.
  const response = await app.inject({ method: 'DELETE', url: '/docs/static/no-such-asset.js' });
  expectProblem(t, response, 405, 'method_not_allowed');
  t.equal(response.headers.allow, 'GET, HEAD');
});

t.test('a body over 1 MiB is a 413 payload_too_large', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(1024 * 1024), name: 'Big' }),
  });
  expectProblem(t, response, 413, 'payload_too_large');
});

t.test('a text/plain body is a 415 unsupported_media_type', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { 'content-type': 'text/plain' },
    payload: '{"email":"a@example.com","password":"whatever1"}',
  });
  expectProblem(t, response, 415, 'unsupported_media_type');
});

t.test('a form-encoded body is a 415 unsupported_media_type', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'email=a%40example.com&password=whatever1',
  });
  expectProblem(t, response, 415, 'unsupported_media_type');
});

t.test('JSON with a charset parameter is accepted', async (t) => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    payload: '{"email":"nobody@example.com","password":"whatever1"}',
  });
  expectProblem(t, response, 401, 'unauthorized');
});

t.test('Accept: text/html on a /v1 route is a 406 not_acceptable, sent as problem+json', async (t) => {
  const response = await app.inject({
    method: 'GET',
    url: '/v1/users/me',
    headers: { ...reader.headers, accept: 'text/html' },
  });
  expectProblem(t, response, 406, 'not_acceptable');
});

t.test('an Accept that gives JSON a zero quality is a 406, even next to a wildcard', async (t) => {
  for (const accept of ['application/json;q=0, text/html', 'application/json;q=0, */*', 'application/*;q=0, */*']) {
    const response = await app.inject({ method: 'GET', url: '/v1/users/me', headers: { ...reader.headers, accept } });
    expectProblem(t, response, 406, 'not_acceptable');
  }
});

t.test('an Accept that includes JSON, a wildcard or problem+json is served', async (t) => {
  const accepts = [
    'text/html, application/json;q=0.5',
    'text/html, */*;q=0.1',
    '*/*',
    'application/*',
    'Application/JSON; charset=utf-8',
    'application/problem+json',
    '',
  ];
  for (const accept of accepts) {
    const response = await app.inject({ method: 'GET', url: '/v1/users/me', headers: { ...reader.headers, accept } });
    t.equal(response.statusCode, 200, `Accept: ${accept}`);
  }
});

t.test('a handler past its deadline is a 503 service_unavailable problem, not a hang', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/too-slow' });
  expectProblem(t, response, 503, 'service_unavailable');
});

t.test('an uncaught exception is a 500 internal_error that reveals no message or stack', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/throws' });
  const body = expectProblem(t, response, 500, 'internal_error');
  t.notMatch(response.body, /password_hash|select|Error:|at .*\.ts/);
  t.same(Object.keys(body).sort(), ['code', 'detail', 'instance', 'status', 'title', 'type']);
});

t.test('an uncaught exception is logged with its message and stack for operators', async (t) => {
  await app.inject({ method: 'GET', url: '/test/throws', headers: { 'x-request-id': 'boom-1' } });
  const logged = logsOf('boom-1').join('\n');
  t.match(logged, /"level":50/, 'logged as an error');
  t.match(logged, /select password_hash from users/);
  t.match(logged, /"stack":/);
});

t.test('an exception carrying a 5xx status code other than 503 is still a plain 500', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/throws-500-with-status' });
  expectProblem(t, response, 500, 'internal_error');
  t.notMatch(response.body, /password_hash/);
});

t.test(
  'a 4xx status without a reason phrase keeps its status, titled "Error", with the code for invalid input',
  async (t) => {
    const response = await app.inject({ method: 'GET', url: '/test/unnamed-client-status' });
    t.equal(response.statusCode, 420);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.match(response.json(), {
      type: 'about:blank',
      title: 'Error',
      status: 420,
      code: 'validation_error',
      detail: 'Enhance your calm.',
    });
  },
);

t.test(
  'a validation error without a request part or Ajv messages is reported as the body\'s, "is invalid"',
  async (t) => {
    const error = Object.assign(new Error('body/name is invalid'), {
      code: 'FST_ERR_VALIDATION',
      name: 'FastifyError',
      validation: [
        { keyword: 'required', instancePath: '', schemaPath: '#/required', params: { missingProperty: 'name' } },
      ],
    });
    const apiError = toApiError(error);
    t.equal(apiError.status, 400);
    t.equal(apiError.code, 'validation_error');
    t.equal(apiError.message, 'body/name is invalid');
    t.same(apiError.errors, [{ path: '/name', message: 'is invalid' }]);
  },
);

t.test('a refused database connection is a 503 service_unavailable with Retry-After', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/connection-refused' });
  const body = expectProblem(t, response, 503, 'service_unavailable');
  t.equal(response.headers['retry-after'], '5');
  t.notMatch(body.detail, /10\.0\.0\.5/);
});

t.test('a Drizzle query error caused by an administrator shutdown (57P01) is a 503', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/admin-shutdown' });
  expectProblem(t, response, 503, 'service_unavailable');
  t.notMatch(response.body, /secret-param|sessions/);
});

t.test('a Drizzle query error for a full disk (53100) is a 503 that says so, with Retry-After', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/disk-full' });
  const body = expectProblem(t, response, 503, 'service_unavailable');
  t.equal(response.headers['retry-after'], '60');
  t.match(body.detail, /no storage space left/);
  t.notMatch(response.body, /secret-param|base\/5|bucketlists/);
});

t.test("a failed query is logged with its SQL and the driver's error, never its parameters", async (t) => {
  await app.inject({ method: 'GET', url: '/test/admin-shutdown', headers: { 'x-request-id': 'query-1' } });
  const logged = logsOf('query-1').join('\n');
  t.match(logged, /terminating connection due to administrator command/);
  t.match(logged, /"query":"select \\"id\\" from \\"sessions\\"/);
  t.notMatch(logged, /secret-param/);
});

t.test('a Drizzle query error for any other SQL state is a 500 that hides the query', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/test/unique-violation' });
  expectProblem(t, response, 500, 'internal_error');
  t.notMatch(response.body, /secret-param|insert/);
});

t.test('a database that cannot be reached answers 503 on real routes', async (t) => {
  // A postgres.js pool pointed at a port nobody listens on: every query fails with ECONNREFUSED.
  const unreachable = await openDatabase(
    { kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none', poolSize: 1 },
    { migrate: false },
  );
  const offline = await buildApp(testConfig(), { database: unreachable, logger: false, pressure: TEST_PRESSURE });
  t.teardown(async () => {
    await offline.close();
    await unreachable.close();
  });
  await offline.ready();

  const register = await offline.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { email: 'offline@example.com', password: 'long enough password', name: 'Off' },
  });
  expectProblem(t, register, 503, 'service_unavailable');
  t.equal(register.headers['retry-after'], '5');

  const token = offline.jwt.sign({ sub: '1', sid: '00000000-0000-4000-8000-000000000000' });
  const me = await offline.inject({
    method: 'GET',
    url: '/v1/users/me',
    headers: { authorization: `Bearer ${token}` },
  });
  expectProblem(t, me, 503, 'service_unavailable');

  const ready = await offline.inject({ method: 'GET', url: '/readyz' });
  expectProblem(t, ready, 503, 'service_unavailable');
});

/** Sends raw bytes to the app on a real port; resolves with everything it answers until it closes. */
async function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

t.test('requests that the HTTP parser refuses get a problem+json answer and a closed connection', async (t) => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const token = 'secret-bearer-token-value';
  const cases = [
    { name: 'a malformed request line', request: 'NOT HTTP AT ALL\r\n\r\n', status: 400, code: 'validation_error' },
    {
      name: 'a header name with a space',
      request: 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'header fields over the size limit',
      request: `GET /v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`,
      status: 431,
      code: 'payload_too_large',
    },
  ];
  for (const { name, request, status, code } of cases) {
    const answer = await rawExchange(port, request);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const [statusLine, ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 2)]),
    );
    t.match(statusLine, new RegExp(`^HTTP/1\\.1 ${status} `), name);
    t.equal(headers['content-type'], 'application/problem+json; charset=utf-8', name);
    t.equal(headers['content-length'], String(Buffer.byteLength(body)), name);
    t.equal(headers.connection, 'close', name);
    t.equal(headers['x-content-type-options'], 'nosniff', name);
    t.match(headers['content-security-policy'], /default-src 'none'/, name);
    t.match(headers['x-request-id'], /^[0-9a-f-]{36}$/, name);
    const problem = JSON.parse(body) as Record<string, unknown>;
    t.strictSame(Object.keys(problem), ['type', 'title', 'status', 'detail', 'code', 'instance'], name);
    t.match(problem, { type: 'about:blank', status, code, instance: headers['x-request-id'] }, name);
    const logged = logsOf(headers['x-request-id'] ?? '');
    t.equal(logged.length, 1, `${name}: one log line`);
    t.notMatch(logged.join('\n'), token, `${name}: the raw request is not logged`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the app still serves');
});

t.test('a request too slow to arrive gets a 408 problem; a reset connection gets nothing', async (t) => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Node raises these from its own timers and sockets; emit them on a real server-side connection.
  const raise = (code: string) =>
    new Promise<string>((resolve, reject) => {
      app.server.once('connection', (serverSide) => {
        setImmediate(() => app.server.emit('clientError', Object.assign(new Error(code), { code }), serverSide));
      });
      const client = connect(port, '127.0.0.1');
      let answer = '';
      client.setEncoding('latin1');
      client.on('data', (chunk: string) => (answer += chunk));
      client.on('error', reject);
      client.on('close', () => resolve(answer));
      // A reset leaves the connection to the client, which ends it here.
      if (code === 'ECONNRESET') setTimeout(() => client.end(), 100);
    });
  const timeout = await raise('ERR_HTTP_REQUEST_TIMEOUT');
  t.match(timeout, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.match(JSON.parse(timeout.split('\r\n\r\n')[1] ?? ''), {
    status: 408,
    detail: 'The request did not arrive in time.',
  });
  t.equal(await raise('ECONNRESET'), '', 'nothing is written to a reset connection');
});
