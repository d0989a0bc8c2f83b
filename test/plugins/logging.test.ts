import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { loggerOptions } from '../../src/logger.js';
import { build, newUser, testConfig } from '../helper.js';

/** A stream that keeps every log line, for asserting on what the app wrote. */
function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}

const INFO = testConfig({ LOG_LEVEL: 'info' });

t.test('logs are JSON lines; every line of a request carries its reqId; no secret is written', async (t) => {
  const capture = logCapture();
  const app = await build(t, {
    env: { LOG_LEVEL: 'info' },
    logger: { ...loggerOptions(INFO), stream: capture.stream },
  });
  capture.lines.length = 0;

  const user = newUser({ password: 'a-password-nobody-may-log' });
  const register = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: user });
  t.equal(register.statusCode, 201);
  const wrong = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: 'the-wrong-password-also-secret' },
  });
  t.equal(wrong.statusCode, 401);
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    headers: { 'x-request-id': 'login-1' },
    payload: { email: user.email, password: user.password },
  });
  t.equal(login.statusCode, 200);
  const tokens = login.json() as { access_token: string; refresh_token: string };
  const me = await app.inject({
    method: 'GET',
    url: '/v1/users/me',
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  t.equal(me.statusCode, 200);
  const refresh = await app.inject({
    method: 'POST',
    url: '/v1/auth/refresh',
    payload: { refresh_token: tokens.refresh_token },
  });
  t.equal(refresh.statusCode, 200);
  const refreshed = refresh.json() as { access_token: string; refresh_token: string };
  const forged = await app.inject({
    method: 'GET',
    url: '/v1/users/me',
    headers: { authorization: 'Bearer forged.token-value-that-is-secret.too' },
  });
  t.equal(forged.statusCode, 401);
  const invalid = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { ...newUser(), password: 'short1' },
  });
  t.equal(invalid.statusCode, 400);

  const text = capture.text();
  for (const secret of [
    user.password,
    'the-wrong-password-also-secret',
    'short1',
    tokens.access_token,
    tokens.refresh_token,
    refreshed.access_token,
    refreshed.refresh_token,
    'forged.token-value-that-is-secret.too',
  ]) {
    t.notOk(text.includes(secret), `the log does not contain ${secret.slice(0, 12)}…`);
  }
  t.notMatch(text, /bearer /i, 'no Authorization header value');

  t.ok(capture.lines.length >= 7, `${capture.lines.length} lines: an access-log line or more per request`);
  const accessLines = capture.lines
    .map((line) => JSON.parse(line) as { msg?: string; res?: { statusCode?: number }; responseTime?: number })
    .filter((entry) => entry.msg === 'request completed');
  t.equal(accessLines.length, 7, 'exactly one access-log line per request');
  for (const entry of accessLines) {
    t.type(entry.res?.statusCode, 'number', 'the access line has the status');
    t.type(entry.responseTime, 'number', 'the access line has the time taken');
  }
  const entries = capture.lines.map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
  for (const entry of entries) t.type(entry.reqId, 'string', `"${entry.msg}" has a reqId`);
  t.ok(
    entries.some((entry) => entry.reqId === 'login-1' && entry.msg === 'request completed'),
    "the client's request id is the reqId of its lines",
  );
});

t.test('redaction covers secrets in headers and in any logged object', async (t) => {
  const capture = logCapture();
  const logger = pino(loggerOptions(INFO) as pino.LoggerOptions, capture.stream);
  logger.info(
    {
      req: {
        method: 'GET',
        url: '/v1/users/me',
        headers: { authorization: 'Bearer aaa.bbb.ccc', cookie: 'sid=s3cr3t' },
        body: { refresh_token: 'nested-refresh-secret' },
      },
      password: 'top-level-password',
      body: { email: 'a@example.com', password: 'body-password' },
      tokens: { access_token: 'access-secret', refresh_token: 'refresh-secret', token_type: 'Bearer' },
    },
    'something happened',
  );
  const text = capture.text();
  for (const secret of [
    'aaa.bbb.ccc',
    's3cr3t',
    'top-level-password',
    'body-password',
    'access-secret',
    'refresh-secret',
    'nested-refresh-secret',
  ]) {
    t.notOk(text.includes(secret), `${secret} is redacted`);
  }
  const entry = JSON.parse(text);
  t.equal(entry.req.headers.authorization, '[REDACTED]');
  t.equal(entry.body.email, 'a@example.com', 'other fields stay');
  t.equal(entry.tokens.token_type, 'Bearer');
});

t.test('pino-pretty only in development on a terminal, never in production', async (t) => {
  const production = { env: 'production', logLevel: 'info' } as const;
  t.notOk('transport' in loggerOptions(production), 'production: JSON');
  t.notOk('transport' in loggerOptions(production, { pretty: false }));
  t.notOk('transport' in loggerOptions({ env: 'test', logLevel: 'info' }), 'test: JSON');
  t.match(loggerOptions({ env: 'development', logLevel: 'debug' }, { pretty: true }), {
    level: 'debug',
    transport: { target: 'pino-pretty' },
  });
  t.equal(
    'transport' in loggerOptions({ env: 'development', logLevel: 'info' }),
    process.stdout.isTTY === true,
    'development: pretty only when stdout is a TTY',
  );
});
