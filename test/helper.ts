/**
 * Test helpers: build the real app on a database of the test file's own, and small factories
 * for the users and resources most tests start from.
 */
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { type App, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import type { DatabaseHandle } from '../src/db/client.js';
import type { ProblemBody } from '../src/schemas/common.js';
import { watchConformance } from './conformance.js';
import { openTestDatabase } from './setup/databases.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-production-use';

/**
 * The configuration of a test app: the documented defaults, with a real secret, no logs, and an
 * auth rate limit no test file reaches by accident (every inject comes from one address); the
 * rate-limit tests set their own.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_MAX: '10000',
    ...env,
  }).config;
}

/**
 * Test apps share one event loop with the embedded databases of the whole file, whose opening
 * blocks it for seconds: that is not overload, so the loop checks are off; so is the periodic
 * database health check, so that each test sees the failure it injects first-hand. The pressure
 * and database-fault tests run with them on.
 */
export const TEST_PRESSURE = { maxEventLoopDelay: 0, healthCheck: undefined };

export interface BuildTestOptions {
  env?: Record<string, string>;
  /** A Drizzle logger that sees every statement the app sends. */
  loggedBy?: Logger;
  logger?: Parameters<typeof buildApp>[1] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
}

/**
 * Puts a logger on the handle's Drizzle session (Drizzle takes one only when it is created):
 * statements prepared from then on, and transactions, report to it.
 */
function logStatements(database: DatabaseHandle, logger: Logger) {
  const session = (database.db as unknown as { session: { logger: Logger; options: { logger?: Logger } } }).session;
  session.logger = logger;
  session.options.logger = logger;
}

/** The app on a fresh database of its own, closed (and the database dropped) when the test ends. */
export async function build(t: Test, options: BuildTestOptions = {}): Promise<App> {
  return (await buildWithDatabase(t, options)).app;
}

/** As `build`, with the database handle, for tests that look at the rows themselves. */
export async function buildWithDatabase(t: Test, options: BuildTestOptions = {}) {
  const database = await openTestDatabase();
  if (options.loggedBy) logStatements(database, options.loggedBy);
  const app = await buildApp(testConfig(options.env), {
    database,
    logger: options.logger ?? false,
    pressure: TEST_PRESSURE,
  });
  // Every response the test receives is checked against the OpenAPI document (test/conformance.ts).
  watchConformance(app, t);
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  await app.ready();
  return { app, database };
}

let userCounter = 0;

/** A new user's credentials, unique within the test run. */
export function newUser(overrides: Partial<{ email: string; password: string; name: string }> = {}) {
  userCounter += 1;
  return {
    email: `user${userCounter}-${process.pid}@example.com`,
    password: 'correct horse battery staple',
    name: `User ${userCounter}`,
    ...overrides,
  };
}

/** Registers and logs in a new user; returns its tokens and a ready Authorization header. */
export async function signUp(app: App, overrides: Parameters<typeof newUser>[0] = {}) {
  const user = newUser(overrides);
  const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: user });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: user.password },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const tokens = login.json() as { access_token: string; refresh_token: string };
  return {
    ...user,
    id: (registered.json() as { id: number }).id,
    tokens,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  };
}

/** Creates a bucketlist for the user; returns its body. */
export async function createBucketlist(
  app: App,
  headers: Record<string, string>,
  body: { name: string; description?: string | null } = { name: 'Travel' },
) {
  const response = await app.inject({ method: 'POST', url: '/v1/bucketlists', headers, payload: body });
  if (response.statusCode !== 201) throw new Error(`create bucketlist failed: ${response.body}`);
  return response.json() as { id: number; name: string; item_count: number; updated_at: string };
}

/** Creates an item in the bucketlist; returns its body. */
export async function createItem(
  app: App,
  headers: Record<string, string>,
  bucketlistId: number,
  body: { name: string; done?: boolean } = { name: 'See the aurora' },
) {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/bucketlists/${bucketlistId}/items`,
    headers,
    payload: body,
  });
  if (response.statusCode !== 201) throw new Error(`create item failed: ${response.body}`);
  return response.json() as { id: number; bucketlist_id: number; name: string; done: boolean };
}

/** Asserts the response is an RFC 9457 problem with this status and code; returns its body. */
export function expectProblem(t: Test, response: LightMyRequestResponse, status: number, code: string): ProblemBody {
  t.equal(response.statusCode, status, 'status');
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'problem+json');
  const body = response.json<ProblemBody>();
  t.equal(body.type, 'about:blank');
  t.equal(body.title, STATUS_CODES[status]);
  t.equal(body.status, status);
  t.equal(body.code, code);
  t.type(body.detail, 'string');
  t.ok(body.detail.length > 0, 'detail is not empty');
  t.equal(body.instance, response.headers['x-request-id'], 'instance is the request id');
  return body;
}

/** An RFC 3339 UTC timestamp with milliseconds, as the API writes them. */
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The largest valid id: valid in a path, never an existing row in a test database. */
export const MISSING_ID = 2_147_483_647;

export type Headers = Record<string, string>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `send(method, url, headers, payload?)` against the app, with JSON payloads. */
export const requester = (app: App) => (method: Method, url: string, headers: Headers, payload?: unknown) =>
  app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
