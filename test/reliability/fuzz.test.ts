/**
 * Property-based fuzzing driven by the app's own OpenAPI document (GET /openapi.json): for every
 * operation it documents, fast-check generates valid and invalid path ids, query strings, headers
 * and bodies (wrong types, extreme numbers, deep nesting, long and odd Unicode strings, lone
 * surrogates, NUL, `__proto__`, duplicate keys, invalid UTF-8, empty bodies, wrong content types,
 * missing and forged tokens). Every response must:
 *  - never be a 5xx, and finish in bounded time;
 *  - be documented for its operation and match the document's schema (test/conformance.ts); every
 *    4xx a problem+json whose code matches its status;
 *  - be the outcome the document and the contract imply: 401 without a valid token, 406 when Accept
 *    rules JSON out, 415 for a non-JSON body, 413 over 1 MiB, 400 for what the schema rejects, 2xx
 *    for what it accepts on the caller's own resources, 404 for anyone else's, 412 for a stale
 *    If-Match; for a viewer of Alice's bucketlists (Carol), 2xx reads and 403 writes; 403 on the
 *    admin routes for every non-admin; round-trip the text it was given; keep totals and item counts exact;
 * and /healthz and /readyz must still answer afterwards.
 *
 * FUZZ_RUNS (default 5000) sets how many requests are generated; FUZZ_SEED replays a run (CI uses a
 * fixed seed; elsewhere each run draws a new one and prints it).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import {
  CODE_BY_STATUS,
  checkerFor,
  describeViolation,
  knownDeviation,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
} from '../conformance.js';
import { DEFAULT_API_VERSION, SHARING_API_VERSION } from '../../src/schemas/api-version.js';
import { build, newUser, TEST_SECRET } from '../helper.js';

const TOTAL_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS) || 5000);
// CI replays one fixed seed, so a red build is reproducible; elsewhere every run explores anew.
const CI_SEED = 20_261_122;
const SEED = Number(process.env.FUZZ_SEED) || (process.env.CI ? CI_SEED : Date.now() % 2_147_483_647);
const BODY_LIMIT = 1024 * 1024;
/** The operations whose bodies (a User, a Bucketlist or a page of them) depend on the API version. */
const VERSIONED_OPERATIONS = new Set([
  'register',
  'getCurrentUser',
  'createBucketlist',
  'listBucketlists',
  'getBucketlist',
  'replaceBucketlist',
  'updateBucketlist',
]);
const MAX_INT32 = 2_147_483_647;
/** No request may take longer than this, however odd. */
const REQUEST_BOUND_MS = 10_000;

// FUZZ_RUNS may be raised well past the default: give the file room (the default 5,000 take 20-60 s).
t.setTimeout(Math.max(180_000, TOTAL_RUNS * 40));

// The many logins and registrations of the fuzz must not be throttled: rate limits have tests of their own.
const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '100000000' } });

// ---------------------------------------------------------------------------------------------
// Sending, counting, and the state the expectations need (who owns what)
// ---------------------------------------------------------------------------------------------

let sent = 0;
let slowestMs = 0;

/**
 * Load shedding (src/plugins/pressure.ts) is not what this file tests, and a fuzz loop on the
 * embedded database keeps the event loop busy: wait while the app says it is under pressure, and
 * resend once a request that was shed. Every shed request is counted and reported.
 */
const isUnderPressure = () => (app as unknown as { isUnderPressure?: () => boolean }).isUnderPressure?.() === true;
let shedRequests = 0;
let shedExample: string | undefined;
let pressureWaitMs = 0;
let pressureEncounters = 0;
async function pressureEased() {
  const started = Date.now();
  if (isUnderPressure()) pressureEncounters += 1;
  while (isUnderPressure() && Date.now() < started + 5000) await sleep(25);
  pressureWaitMs += Date.now() - started;
}
const wasShed = (response: LightMyRequestResponse) =>
  response.statusCode === 503 && /overloaded/i.test(response.body) && !/database/i.test(response.body);

async function send(options: InjectOptions): Promise<LightMyRequestResponse> {
  await pressureEased();
  sent += 1;
  const started = performance.now();
  let response = await app.inject(options);
  if (wasShed(response)) {
    shedRequests += 1;
    shedExample ??= `${options.method} ${options.url} → 503 ${response.body.slice(0, 200)}`;
    await sleep(1100);
    await pressureEased();
    sent += 1;
    response = await app.inject(options);
  }
  slowestMs = Math.max(slowestMs, performance.now() - started);
  return response;
}

const json = <T>(response: LightMyRequestResponse) => JSON.parse(response.body) as T;

/** Like the helper's signUp, through `send` (so a request shed right after boot is resent). */
async function signUpUser() {
  const user = newUser();
  const registered = await send({ method: 'POST', url: '/v1/auth/register', payload: user });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const login = await send({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: user.password },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const tokens = json<{ access_token: string; refresh_token: string }>(login);
  return {
    ...user,
    id: json<{ id: number }>(registered).id,
    tokens,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  };
}
const alice = await signUpUser();
const bob = await signUpUser();
// Carol owns nothing: every bucketlist of Alice's is shared with her as a viewer; to Bob's she is a stranger.
const carol = await signUpUser();
type UserKey = 'alice' | 'bob' | 'carol';
const users = { alice, bob, carol };

/** Every bucketlist each user has (ids → item ids), kept exact from the responses received. */
const owned: Record<UserKey, Map<number, Set<number>>> = { alice: new Map(), bob: new Map(), carol: new Map() };

/** Whose bucketlists a user acts on as "own": Carol, Alice's viewer, on Alice's. */
const seenAs = (user: UserKey): 'alice' | 'bob' => (user === 'bob' ? 'bob' : 'alice');

/** Alice's bucketlists shared with Carol as viewer; cleared when a member write may have changed that. */
const sharedWithCarol = new Set<number>();
async function shareWithCarol() {
  for (const bucketlistId of owned.alice.keys()) {
    if (sharedWithCarol.has(bucketlistId)) continue;
    const url = `/v1/bucketlists/${bucketlistId}/members`;
    const added = await send({
      method: 'POST',
      url,
      headers: alice.headers,
      payload: { email: carol.email, role: 'viewer' },
    });
    if (added.statusCode === 409) {
      const reset = await send({
        method: 'PATCH',
        url: `${url}/${carol.id}`,
        headers: alice.headers,
        payload: { role: 'viewer' },
      });
      if (reset.statusCode !== 200) throw new Error(`resetting Carol's role failed: ${reset.body}`);
    } else if (added.statusCode !== 201) {
      throw new Error(`sharing with Carol failed: ${added.body}`);
    }
    sharedWithCarol.add(bucketlistId);
  }
}

async function created(url: string, user: UserKey, payload: object): Promise<number> {
  const response = await send({ method: 'POST', url, headers: users[user].headers, payload });
  if (response.statusCode !== 201) throw new Error(`POST ${url} failed: ${response.body}`);
  return json<{ id: number }>(response).id;
}

async function replenish(user: UserKey) {
  const pool = owned[user];
  while (pool.size < 3) pool.set(await created('/v1/bucketlists', user, { name: `seed ${pool.size}` }), new Set());
  for (const [bucketlistId, items] of pool) {
    while (items.size < 2) items.add(await created(`/v1/bucketlists/${bucketlistId}/items`, user, { name: 'an item' }));
  }
}
await replenish('alice');
await replenish('bob');
await shareWithCarol();

/** Registered accounts (lower-cased email → password), to know what register and login must answer. */
const accounts = new Map<string, string>([
  [alice.email.toLowerCase(), alice.password],
  [bob.email.toLowerCase(), bob.password],
  [carol.email.toLowerCase(), carol.password],
]);

/** A new session of the user through the API (a login): for logout, which ends the session it is given. */
async function throwawayToken(user: UserKey): Promise<string> {
  const response = await send({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: users[user].email, password: users[user].password },
  });
  if (response.statusCode !== 200) throw new Error(`login for a throwaway session failed: ${response.body}`);
  return json<{ access_token: string }>(response).access_token;
}

/** Access tokens whose session has been logged out. */
const revokedTokens: string[] = [];
{
  const token = await throwawayToken('alice');
  const response = await send({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.statusCode !== 204) throw new Error(`logout failed: ${response.body}`);
  revokedTokens.push(token);
}

/** A refresh-token chain of Alice's: the current token, and the one it replaced (whose reuse revokes the chain). */
const refreshChain: { current?: string; previous?: string } = {};
async function currentRefreshToken(): Promise<string> {
  if (!refreshChain.current) {
    const response = await send({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: alice.email, password: alice.password },
    });
    refreshChain.current = json<{ refresh_token: string }>(response).refresh_token;
    refreshChain.previous = undefined;
  }
  return refreshChain.current;
}

// ---------------------------------------------------------------------------------------------
// Forged and broken credentials
// ---------------------------------------------------------------------------------------------

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function signJwt(payload: object, secret = TEST_SECRET, header: object = { alg: 'HS256', typ: 'JWT' }) {
  const unsigned = `${base64url(header)}.${base64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const aliceClaims = () =>
  JSON.parse(Buffer.from(alice.tokens.access_token.split('.')[1] ?? '', 'base64url').toString());

type AuthKind =
  | 'alice'
  | 'bob'
  | 'carol'
  | 'none'
  | 'garbage'
  | 'basic'
  | 'alg-none'
  | 'wrong-secret'
  | 'expired'
  | 'bad-claims'
  | 'unknown-session'
  | 'revoked'
  | 'tab-separated';

const FORGED: Record<Exclude<AuthKind, UserKey | 'none' | 'garbage' | 'revoked'>, () => string> = {
  basic: () => `Basic ${Buffer.from(`${alice.email}:${alice.password}`).toString('base64')}`,
  'alg-none': () => `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(aliceClaims())}.`,
  'wrong-secret': () => `Bearer ${signJwt(aliceClaims(), 'another-secret-that-is-long-enough-to-look-real')}`,
  expired: () => `Bearer ${signJwt({ ...aliceClaims(), iat: now() - 7200, exp: now() - 3600 })}`,
  'bad-claims': () => `Bearer ${signJwt({ sub: 'alice', sid: '../../etc/passwd', exp: now() + 600 })}`,
  'unknown-session': () => `Bearer ${signJwt({ sub: String(alice.id), sid: randomUUID(), exp: now() + 600 })}`,
  'tab-separated': () => `Bearer\t${alice.tokens.access_token}`,
};

// ---------------------------------------------------------------------------------------------
// The document, its operations, and JSON Schema → fast-check
// ---------------------------------------------------------------------------------------------

const documentResponse = await send({ method: 'GET', url: '/openapi.json' });
const document = json<OpenApiDocument>(documentResponse);
const checker = checkerFor(app);
const components = document.components?.schemas ?? {};

type Schema = Record<string, unknown>;
function resolve(schema: unknown): Schema {
  let current = (schema ?? {}) as Schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
    const name = (current.$ref as string).replace('#/components/schemas/', '');
    current = (components[name] ?? {}) as Schema;
  }
  return current;
}

interface Operation {
  method: string;
  path: string;
  id: string;
  operation: OpenApiOperation;
  pathParams: OpenApiParameter[];
  queryParams: OpenApiParameter[];
  headerParams: OpenApiParameter[];
  bodySchema: unknown;
  isProtected: boolean;
}

/** An operation's parameter, with a `$ref` to a shared component parameter followed. */
function resolveParameter(parameter: OpenApiParameter | { $ref: string }): OpenApiParameter {
  if (!('$ref' in parameter)) return parameter;
  const shared = document.components?.parameters?.[parameter.$ref.replace('#/components/parameters/', '')];
  if (!shared) throw new Error(`the document has no parameter ${parameter.$ref}`);
  return shared;
}

const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => {
    const parameters = (operation.parameters ?? []).map(resolveParameter);
    return {
      method: method.toUpperCase(),
      path,
      id: operation.operationId ?? `${method} ${path}`,
      operation,
      pathParams: parameters.filter((parameter) => parameter.in === 'path'),
      queryParams: parameters.filter((parameter) => parameter.in === 'query'),
      headerParams: parameters.filter((parameter) => parameter.in === 'header'),
      bodySchema: operation.requestBody?.content?.['application/json']?.schema,
      isProtected: (operation.security ?? []).length > 0,
    };
  }),
);

/** Characters that break naive code: controls, NUL, lone surrogates, BOM, bidi, combining marks, astral. */
const EDGE_CHARACTERS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00ad',
  '\u0301',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ud800',
  '\udfff',
  'é',
  'É',
  'ß',
  'İ',
  'Σ',
  'ς',
  'ﬃ',
  '𝕏',
  '😀',
  '👩‍👩‍👧',
  '🇫🇷',
  'שלום',
  '中文',
  '%',
  '_',
  '\\',
  '"',
  "'",
  '<',
  '&',
  '$1',
  '\n',
  '\t',
  ' ',
];
const textUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_CHARACTERS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
// An array of units joined, rather than fc.string({ unit }), which re-tokenizes every value (slow).
const text = (maxLength: number) => fc.array(textUnit, { maxLength }).map((units) => units.join(''));
const codePoints = (value: string) => [...value].length;

const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}$/;
const emailAddress = fc
  .tuple(
    fc.stringMatching(EMAIL_LOCAL),
    fc.stringMatching(/^[a-z0-9]{8}$/),
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.constantFrom('com', 'org', 'xn--p1ai'),
  )
  .chain(([local, unique, domain, tld]) => fc.mixedCase(fc.constant(`${local}.${unique}@${domain}.${tld}`)));

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'email') return emailAddress;
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const value = fc.oneof(
    { weight: 12, arbitrary: text(Math.min(maxLength, 40)) },
    { weight: 1, arbitrary: fc.constant('x'.repeat(maxLength)) },
    { weight: 1, arbitrary: fc.constant('😀'.repeat(maxLength)) },
    { weight: 1, arbitrary: fc.constantFrom(' padded ', '\u00a0\u3000nbsp\ufeff', 'a\u0000b') },
  );
  return value.map((generated) => {
    let result = generated;
    if (schema.pattern === '\\S' && !/\S/u.test(result)) result = `x${result}`;
    while (codePoints(result) < minLength) result += 'x';
    return result;
  });
}

function arbitraryFor(schemaOrRef: unknown, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaOrRef);
  if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((option) => arbitraryFor(option, depth)));
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return fc.integer({
        min: typeof schema.minimum === 'number' ? schema.minimum : -MAX_INT32,
        max: typeof schema.maximum === 'number' ? schema.maximum : MAX_INT32,
      });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(arbitraryFor(schema.items, depth + 1), { maxLength: 3 });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      const required = (schema.required ?? []) as string[];
      const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, arbitraryFor(value, depth + 1)]),
      );
      return fc
        .record(model, { requiredKeys: required })
        .filter((value) => Object.keys(value).length >= minProperties) as fc.Arbitrary<unknown>;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ---------------------------------------------------------------------------------------------
// Invalid values: numbers, ids, nesting, keys
// ---------------------------------------------------------------------------------------------

const EXTREME_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  -2_147_483_648,
  2_147_483_648,
  4_294_967_296,
  Number.MAX_SAFE_INTEGER,
  1e308,
  5e-324,
  -1e308,
];
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...EXTREME_NUMBERS, true, false, null, '', ' ', 'true', '1', [], {}, [null], { name: 'x' }),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
  text(20),
);

/** A JSON value nested `depth` levels deep, as text (cheap to build, hard to parse recursively). */
const deepNesting = fc
  .record({
    depth: fc.integer({ min: 100, max: 50_000 }),
    kind: fc.constantFrom('array', 'object', 'proto'),
  })
  .map(({ depth, kind }) => {
    if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const open = kind === 'proto' ? '{"__proto__":' : '{"a":';
    return `${open.repeat(depth)}{"constructor":{"prototype":{"polluted":true}}}${'}'.repeat(depth)}`;
  });

const MASS_ASSIGNMENT_KEYS = ['id', 'owner_id', 'user_id', 'item_count', 'created_at', 'version', 'is_admin', 'role'];
const oddKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ...MASS_ASSIGNMENT_KEYS),
  fc.constantFrom('Name', 'NAME', 'name ', 'näme', ''),
  text(12),
);

/** Sets a key even when it is `__proto__`, so JSON.stringify writes it. */
function withKey(value: unknown, key: string, keyValue: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
  Object.defineProperty(copy, key, { value: keyValue, enumerable: true, configurable: true, writable: true });
  return copy;
}

const INVALID_IDS = [
  '0',
  '-1',
  '-0',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '99999999999999999999999',
  '1.5',
  '1e400',
  'abc',
  'NaN',
  'Infinity',
  'true',
  'null',
  '%00',
  '1%00',
  '%FF',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '1;2',
  '1,2',
  '%20',
  '٣',
  '１',
  "'%20OR%201=1--",
];
/** Ids that a URL parser resolves as dot segments: the request may reach another route (a 404). */
const DOT_SEGMENTS = ['..', '%2e%2e', '.', '%2E'];
/** Accepted spellings of a valid id: Ajv's coercion takes them, and so may the server. */
const LENIENT_IDS = ['01', '+1', '1.0', '1e0', '0x1', '%201', '1%20'];

const invalidId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INVALID_IDS) },
  { weight: 1, arbitrary: fc.integer({ min: -MAX_INT32, max: 0 }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: 2_147_483_648n, max: 10n ** 30n }).map(String) },
  {
    weight: 1,
    arbitrary: fc
      .double({ noNaN: true })
      .filter((value) => !Number.isInteger(value))
      .map(String),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((value) => !/^\d+$/.test(value)),
  },
);

// ---------------------------------------------------------------------------------------------
// Drafts: what a generated request asks for, resolved against the live state when it is sent
// ---------------------------------------------------------------------------------------------

type Target = 'own' | 'own-elsewhere' | 'foreign' | 'random';
type ParamDraft = { kind: 'target' } | { kind: 'invalid' | 'lenient' | 'dot-segment'; raw: string };
type QueryValue = { kind: 'valid' | 'invalid' | 'any'; raw: string };
type Conditional = 'none' | 'current' | 'star' | 'weak-current' | 'stale' | 'list-with-current' | 'junk';
type ContentType = string | undefined;

type BodyDraft =
  | { kind: 'none'; contentType: ContentType }
  | { kind: 'json'; value: unknown; contentType: ContentType }
  | { kind: 'raw'; text: string; contentType: ContentType }
  | { kind: 'bytes'; bytes: Uint8Array; contentType: ContentType }
  | { kind: 'huge'; size: number; contentType: ContentType }
  | { kind: 'own-credentials'; email: string; contentType: ContentType }
  | { kind: 'refresh-current' | 'refresh-reused'; contentType: ContentType };

interface Draft {
  auth: AuthKind;
  scheme: string;
  target: Target;
  randomIds: [number, number];
  params: Record<string, ParamDraft>;
  query: Array<[string, QueryValue]>;
  accept: { value: string; accepts: boolean | undefined } | undefined;
  ifMatch: Conditional;
  ifNoneMatch: Conditional;
  requestId: string | undefined;
  /** An Api-Version header, when the operation takes one. */
  apiVersion: string | undefined;
  body: BodyDraft;
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
];
const OTHER_TYPES = [
  'text/plain',
  'text/json',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/merge-patch+json',
  'application/problem+json',
  'application/jsonx',
  'application/json-patch+json',
];
const ODD_TYPES = [
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  '*/*',
  'json',
  ';',
  'application/json, text/plain',
];
const contentTypeDraft: fc.Arbitrary<ContentType> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...JSON_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_TYPES) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** 'json', a definite non-JSON media type (415), or 'unclear' (malformed, another charset, none). */
function classifyContentType(value: ContentType): 'json' | 'other' | 'unclear' {
  if (value === undefined) return 'unclear';
  const [type = '', ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) || type.includes('*')) return 'unclear';
  if (type !== 'application/json') return 'other';
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  return charset === undefined || charset === 'charset=utf-8' ? 'json' : 'unclear';
}

const RAW_BODIES = [
  '',
  ' ',
  'null',
  'true',
  '0',
  '"text"',
  '[]',
  '[{}]',
  '{',
  '}',
  '{"name":}',
  '{"name":"x",}',
  "{'name':'x'}",
  '{"name":"x"} {"name":"y"}',
  '\ufeff{"name":"x"}',
  '{"name":"\\u0000"}',
  '{"name":"\\ud800"}',
  '{"name":"\\udfff\\ud800"}',
  '{"name":"a\u0001b"}',
  '{"name":"x","done":1e400}',
  '{"name":"x","done":-0}',
  '{"name":"x","done":123456789012345678901234567890}',
  '{"name":"x","description":null,"description":7}',
  '{"__proto__":{"polluted":true},"name":"x"}',
  '{"constructor":{"prototype":{"polluted":true}},"name":"x"}',
  '{"name":"x","__proto__":null}',
  'name=x&done=true',
];

function bodyDraft(operation: Operation): fc.Arbitrary<BodyDraft> {
  if (operation.bodySchema === undefined) {
    return fc.oneof(
      { weight: 12, arbitrary: fc.constant<BodyDraft>({ kind: 'none', contentType: undefined }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('raw' as const),
          text: fc.constantFrom(...RAW_BODIES),
          contentType: contentTypeDraft,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('json' as const), value: oddValue, contentType: contentTypeDraft }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('huge' as const),
          size: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 4096 }),
          contentType: contentTypeDraft,
        }),
      },
    );
  }
  const valid = arbitraryFor(operation.bodySchema);
  const properties = Object.keys((resolve(operation.bodySchema).properties ?? {}) as object);
  const field = properties.length > 0 ? fc.constantFrom(...properties) : fc.constant('name');
  const mutated: fc.Arbitrary<unknown> = fc.oneof(
    // Unknown fields, prototype keys and mass assignment.
    fc.tuple(valid, oddKey, oddValue).map(([value, key, extra]) => withKey(value, key, extra)),
    // A field of the wrong type, or an extreme number.
    fc.tuple(valid, field, oddValue).map(([value, key, extra]) => withKey(value, key, extra)),
    // A required field missing.
    fc.tuple(valid, field).map(([value, key]) => {
      const copy = { ...(value as object) } as Record<string, unknown>;
      delete copy[key];
      return copy;
    }),
    // Too long, blank, or full of edge characters.
    fc
      .tuple(
        valid,
        field,
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom('x', ' ', '\u3000', '😀', '\u0000', '\ud800'),
      )
      .map(([value, key, extra, unit]) => withKey(value, key, unit.repeat(256 + extra))),
    fc
      .tuple(valid, field, fc.constantFrom('', ' ', '\t\n', '\u00a0', '\u3000', '\ufeff', '\u200b', '\u2028'))
      .map(([value, key, blank]) => withKey(value, key, blank)),
    // Not an object at all.
    oddValue,
  );
  const rawFromValid = fc.oneof(
    fc.constantFrom(...RAW_BODIES),
    deepNesting.map((nested) => `{"name":${nested}}`),
    deepNesting,
    // Duplicate keys: JSON.parse keeps the last one.
    fc
      .tuple(valid, field, oddValue)
      .map(
        ([value, key, first]) => `{${JSON.stringify(key)}:${JSON.stringify(first)},${JSON.stringify(value).slice(1)}`,
      ),
    // Truncated JSON.
    fc.tuple(valid, fc.nat()).map(([value, cut]) => {
      const whole = JSON.stringify(value);
      return whole.slice(0, cut % Math.max(1, whole.length));
    }),
  );
  const invalidUtf8 = fc
    .tuple(
      fc.uint8Array({ minLength: 1, maxLength: 12, min: 0x80, max: 0xff }),
      fc.constantFrom('name', 'email', 'refresh_token'),
    )
    .map(([bytes, key]) => Buffer.concat([Buffer.from(`{"${key}":"a`), bytes, Buffer.from('"}')]));
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({ kind: fc.constant('json' as const), value: valid, contentType: contentTypeDraft }),
    },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('json' as const), value: mutated, contentType: contentTypeDraft }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('raw' as const), text: rawFromValid, contentType: contentTypeDraft }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('bytes' as const),
        bytes: fc.oneof(invalidUtf8, fc.uint8Array({ maxLength: 64 })),
        contentType: contentTypeDraft,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('none' as const),
        contentType: fc.constantFrom(undefined, 'application/json'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('huge' as const),
        size: fc.oneof(
          fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 65_536 }),
          fc.integer({ min: 300, max: BODY_LIMIT - 64 }),
        ),
        contentType: contentTypeDraft,
      }),
    },
    ...(operation.id === 'login'
      ? [
          {
            weight: 6,
            arbitrary: fc.record({
              kind: fc.constant('own-credentials' as const),
              email: fc.mixedCase(fc.constant(alice.email)),
              contentType: fc.constant('application/json'),
            }),
          },
        ]
      : []),
    ...(operation.id === 'refreshTokens'
      ? [
          {
            weight: 8,
            arbitrary: fc.record({
              kind: fc.constantFrom('refresh-current' as const, 'refresh-current' as const, 'refresh-reused' as const),
              contentType: fc.constant('application/json'),
            }),
          },
        ]
      : []),
  );
}

function queryValue(schemaOrRef: unknown): fc.Arbitrary<QueryValue> {
  const schema = resolve(schemaOrRef);
  const validRaw: fc.Arbitrary<string> = Array.isArray(schema.anyOf)
    ? arbitraryFor(schema).map(String)
    : schema.type === 'boolean'
      ? fc.constantFrom('true', 'false')
      : schema.type === 'integer'
        ? fc
            .oneof(
              fc.integer({ min: Number(schema.minimum ?? 1), max: Math.min(Number(schema.maximum ?? MAX_INT32), 5) }),
              fc.integer({ min: Number(schema.minimum ?? 1), max: Number(schema.maximum ?? MAX_INT32) }),
            )
            .map(String)
        : text(typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 30) : 30);
  const invalidRaw: fc.Arbitrary<string> =
    schema.type === 'integer'
      ? fc.oneof(
          fc.constantFrom('0', '-1', '1.5', 'abc', '', '1e400', 'NaN', '%00', '٣'),
          fc.constant(String(Number(schema.maximum ?? MAX_INT32) + 1)),
        )
      : schema.type === 'boolean'
        ? fc.constantFrom('1', '0', 'yes', 'no', 'TRUE', 'True', 'on', '', 'null')
        : Array.isArray(schema.anyOf)
          ? fc.oneof(
              fc.constantFrom(
                'ID',
                '-ID',
                '+id',
                'id,name',
                '',
                ' id',
                'owner_id',
                'password_hash',
                '-',
                '--id',
                'name;drop table users',
              ),
              arbitraryFor(schema)
                .map((value) => String(value).toUpperCase())
                .filter((value) => value !== value.toLowerCase()),
            )
          : fc.constant('q'.repeat(Number(schema.maxLength ?? 1000) + 1));
  return fc.oneof(
    { weight: 6, arbitrary: validRaw.map((raw) => ({ kind: 'valid' as const, raw })) },
    { weight: 2, arbitrary: invalidRaw.map((raw) => ({ kind: 'invalid' as const, raw })) },
  );
}

/**
 * A list cursor: valid ones come only from a previous page's links, which the fuzz does not
 * follow, so the one valid value it can send is the empty cursor (the first page); any other text
 * is a forged cursor, a 400.
 */
const cursorValue: fc.Arbitrary<QueryValue> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'valid' as const, raw: '' }) },
  {
    weight: 1,
    arbitrary: text(30)
      .filter((raw) => raw !== '')
      .map((raw) => ({ kind: 'invalid' as const, raw })),
  },
);

function queryDraft(operation: Operation): fc.Arbitrary<Array<[string, QueryValue]>> {
  const declared = operation.queryParams.map((parameter) =>
    fc
      .option(parameter.name === 'cursor' ? cursorValue : queryValue(parameter.schema), { nil: undefined, freq: 2 })
      .map((value) => [parameter.name, value] as const),
  );
  const extras = fc.oneof(
    { weight: 8, arbitrary: fc.constant([] as Array<[string, QueryValue]>) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('unknown', '__proto__', 'constructor[prototype][x]', 'page[]', 'owner_id', 'q', 'page'),
          text(10),
        )
        .map(([name, raw]) => [[name, { kind: 'any' as const, raw }]] as Array<[string, QueryValue]>),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%FF', '%ED%A0%80', '%00', '%', '%zz', '\u0000')
        .map((raw) => [['q', { kind: 'any' as const, raw: `\u0000RAW${raw}` }]] as Array<[string, QueryValue]>),
    },
  );
  return fc
    .tuple(fc.tuple(...declared), extras)
    .map(([pairs, extra]) => [
      ...pairs
        .filter((pair): pair is readonly [string, QueryValue] => pair[1] !== undefined)
        .map(([name, value]) => [name, value] as [string, QueryValue]),
      ...extra,
    ]);
}

const headerText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((code) => code !== 0x7f)
    .map((code) => String.fromCharCode(code)),
  maxLength: 40,
});

/** The ACCEPT_VALUES that rule out JSON but take text/csv. */
const CSV_ACCEPTING = new Set(['text/*']);

const ACCEPT_VALUES: Array<[string, boolean | undefined]> = [
  ['application/json', true],
  ['*/*', true],
  ['application/*', true],
  ['application/problem+json', true],
  ['text/html, application/json;q=0.9', true],
  ['APPLICATION/JSON', true],
  ['text/html', false],
  ['application/xml', false],
  ['image/png', false],
  ['application/json;q=0', false],
  ['text/*', false],
  ['', true],
  [';;;', undefined],
  ['application/json;q=abc', undefined],
];

function draftArbitrary(operation: Operation): fc.Arbitrary<Draft> {
  const params: Record<string, fc.Arbitrary<ParamDraft>> = {};
  for (const parameter of operation.pathParams) {
    params[parameter.name] = fc.oneof(
      { weight: 10, arbitrary: fc.constant<ParamDraft>({ kind: 'target' }) },
      { weight: 2, arbitrary: invalidId.map((raw): ParamDraft => ({ kind: 'invalid', raw })) },
      { weight: 1, arbitrary: fc.constantFrom(...LENIENT_IDS).map((raw): ParamDraft => ({ kind: 'lenient', raw })) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...DOT_SEGMENTS).map((raw): ParamDraft => ({ kind: 'dot-segment', raw })),
      },
    );
  }
  const conditional = fc.constantFrom<Conditional>(
    'none',
    'none',
    'none',
    'current',
    'star',
    'weak-current',
    'stale',
    'list-with-current',
    'junk',
  );
  return fc.record({
    auth: fc.oneof(
      { weight: 24, arbitrary: fc.constant<AuthKind>('alice') },
      { weight: 3, arbitrary: fc.constant<AuthKind>('bob') },
      { weight: 6, arbitrary: fc.constant<AuthKind>('carol') },
      {
        weight: 8,
        arbitrary: fc.constantFrom<AuthKind>(
          'none',
          'garbage',
          'basic',
          'alg-none',
          'wrong-secret',
          'expired',
          'bad-claims',
          'unknown-session',
          'revoked',
          'tab-separated',
        ),
      },
    ),
    scheme: fc.constantFrom('Bearer ', 'Bearer ', 'Bearer ', 'bearer ', 'BEARER ', 'BeArEr  '),
    target: fc.constantFrom<Target>('own', 'own', 'own', 'own', 'own-elsewhere', 'foreign', 'random'),
    randomIds: fc.tuple(fc.integer({ min: 1, max: MAX_INT32 }), fc.integer({ min: 1, max: MAX_INT32 })),
    params: fc.record(params),
    query: queryDraft(operation),
    accept: fc.option(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...ACCEPT_VALUES).map(([value, accepts]) => ({ value, accepts })) },
        { weight: 1, arbitrary: headerText.map((value) => ({ value, accepts: undefined })) },
      ),
      { nil: undefined, freq: 4 },
    ),
    ifMatch: conditional,
    ifNoneMatch: conditional,
    requestId: fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), headerText), {
      nil: undefined,
      freq: 4,
    }),
    apiVersion: fc.option(fc.constantFrom(...apiVersionsOf(operation)), { nil: undefined, freq: 3 }),
    body: bodyDraft(operation),
  });
}

// ---------------------------------------------------------------------------------------------
// Resolving a draft into a request, and the outcome it must have
// ---------------------------------------------------------------------------------------------

const encodeSegment = (raw: string) =>
  raw.startsWith('%') || /%[0-9A-Fa-f]{2}/.test(raw) ? raw : encodeURIComponent(raw);

/** Percent-encodes a query value byte by byte; lone surrogates become U+FFFD, as in any UTF-8 client. */
function encodeQueryValue(raw: string): string {
  if (raw.startsWith('\u0000RAW')) return raw.slice(4);
  return [...Buffer.from(raw, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

interface Resolved {
  options: InjectOptions;
  describe: string;
  /** Statuses the contract allows; undefined when only the invariants apply. */
  expected: Set<number> | undefined;
  why: string;
  /** For the checks after a success. */
  tokenUser: UserKey | undefined;
  bucketlistId: number | undefined;
  itemId: number | undefined;
  parsedBody: unknown;
  bodyValid: boolean;
  filtered: boolean;
  requestId: string | undefined;
  /** The API version the response must be in: the one sent, or the default (undefined off /v1). */
  apiVersion: string | undefined;
  /** A dot segment sent the request to another route than the operation's. */
  rerouted: boolean;
}

function pickOwned(user: UserKey, index: number): [number, Set<number>] {
  const entries = [...owned[user]];
  return entries[index % entries.length] as [number, Set<number>];
}

function ownerOf(bucketlistId: number): UserKey | undefined {
  if (owned.alice.has(bucketlistId)) return 'alice';
  if (owned.bob.has(bucketlistId)) return 'bob';
  return undefined;
}

async function authorizationFor(
  draft: Draft,
  operation: Operation,
): Promise<{ header: string | undefined; user: UserKey | undefined }> {
  switch (draft.auth) {
    case 'alice':
    case 'bob':
    case 'carol': {
      // Logout ends the session it is given: never the one the fuzz runs on.
      const token =
        operation.id === 'logout' ? await throwawayToken(draft.auth) : users[draft.auth].tokens.access_token;
      return { header: `${draft.scheme}${token}`, user: draft.auth };
    }
    case 'none':
      return { header: undefined, user: undefined };
    case 'garbage':
      return { header: `Bearer ${randomUUID()}.${randomUUID()}`, user: undefined };
    case 'revoked':
      return { header: `Bearer ${revokedTokens[revokedTokens.length - 1]}`, user: undefined };
    default:
      return { header: FORGED[draft.auth](), user: undefined };
  }
}

/** False for a path Fastify refuses before routing it (invalid UTF-8 in its percent-encoding). */
function decodablePath(url: string): boolean {
  try {
    decodeURIComponent(url.split('?')[0] ?? '');
    return true;
  } catch {
    return false;
  }
}

/** The versions an operation's Api-Version parameter lists (none for the operational routes). */
function apiVersionsOf(operation: Operation): string[] {
  const parameter = operation.headerParams.find((candidate) => candidate.name === 'Api-Version');
  return (parameter?.schema?.enum as string[] | undefined) ?? [DEFAULT_API_VERSION];
}

/** The resource's current tag, in the representation of the API version the request will use. */
async function currentTag(url: string, user: UserKey, apiVersion: string | undefined): Promise<string | undefined> {
  const headers = { ...users[user].headers, ...(apiVersion === undefined ? {} : { 'api-version': apiVersion }) };
  const response = await send({ method: 'GET', url, headers });
  return response.statusCode === 200 ? (response.headers.etag as string | undefined) : undefined;
}

function conditionalHeader(kind: Conditional, tag: string | undefined): string | undefined {
  const fallback = '"1-999999999"';
  switch (kind) {
    case 'none':
      return undefined;
    case 'current':
      return tag ?? fallback;
    case 'star':
      return '*';
    case 'weak-current':
      return `W/${tag ?? fallback}`;
    case 'stale':
      return tag ? tag.replace(/-(\d+)"$/, (_match, version) => `-${Number(version) + 1000}"`) : fallback;
    case 'list-with-current':
      return `"nope", ${tag ?? fallback}`;
    case 'junk':
      return `x${randomUUID()}`;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What the server's JSON parser would make of the body: the value, or that it is rejected (invalid UTF-8 too). */
function parseAsServer(body: Buffer | string): { ok: true; value: unknown } | { ok: false } {
  try {
    const text = typeof body === 'string' ? body : strictUtf8.decode(body);
    // RFC 8259 §8.1 lets a parser ignore a leading byte order mark, and Fastify's does.
    return { ok: true, value: JSON.parse(text.replace(/^\ufeff/, '')) };
  } catch {
    return { ok: false };
  }
}

async function resolveDraft(operation: Operation, draft: Draft): Promise<Resolved> {
  await replenish('alice');
  await replenish('bob');
  await shareWithCarol();
  const { header: authorization, user: tokenUser } = await authorizationFor(draft, operation);
  const faults = new Set<number>();
  const reasons: string[] = [];
  const fault = (status: number, reason: string) => {
    faults.add(status);
    reasons.push(reason);
  };
  // Set when part of the request is odd rather than plainly invalid: only invariants apply, or, if
  // another part is plainly invalid, these statuses are allowed besides its own.
  let unclear = false;
  const alsoAllowed = new Set<number>();
  // A dot segment in the path is resolved by the URL parser: the request reaches another route.
  let rerouted = false;

  // Path: the target's ids, unless a parameter is overridden by an invalid or lenient spelling.
  const actingUser = seenAs(tokenUser ?? 'alice');
  const otherUser: UserKey = actingUser === 'alice' ? 'bob' : 'alice';
  let bucketlistId: number | undefined;
  let itemId: number | undefined;
  const [first, second] = draft.randomIds;
  if (draft.target === 'random') {
    bucketlistId = first;
    itemId = second;
  } else {
    const owner = draft.target === 'foreign' ? otherUser : actingUser;
    const [id, items] = pickOwned(owner, first);
    bucketlistId = id;
    if (draft.target === 'own-elsewhere' && owned[owner].size > 1) {
      itemId = [...pickOwned(owner, first + 1)[1]][second % 2];
    } else {
      itemId = [...items][second % Math.max(1, items.size)];
    }
  }
  const hasItemParam = operation.pathParams.some((parameter) => parameter.name === 'item_id');
  let resourceUrl: string | undefined;
  let pathValid = true;
  const url = operation.path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const parameter = draft.params[name];
    const id = name === 'item_id' ? itemId : name === 'id' ? bucketlistId : first;
    if (!parameter || parameter.kind === 'target') return String(id);
    if (parameter.kind === 'invalid') {
      pathValid = false;
      return encodeSegment(parameter.raw);
    }
    unclear = true;
    if (parameter.kind === 'dot-segment') rerouted = true;
    alsoAllowed.add(400);
    return parameter.raw;
  });
  if (!pathValid) fault(400, 'a path id is not a positive 32-bit integer');
  if (pathValid && !unclear) resourceUrl = url;

  // Query string.
  let filtered = false;
  const query = draft.query
    .map(([name, value]) => {
      if (value.kind === 'invalid') fault(400, `query ${name} is invalid`);
      if (value.kind === 'any') {
        unclear = true;
        alsoAllowed.add(400);
      }
      if (name === 'q' || name === 'done') filtered = true;
      return `${encodeURIComponent(name)}=${encodeQueryValue(value.raw)}`;
    })
    .join('&');

  // Headers.
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (draft.accept) headers.accept = draft.accept.value;
  if (draft.requestId !== undefined) headers['x-request-id'] = draft.requestId;
  const takesVersion = operation.headerParams.some((parameter) => parameter.name === 'Api-Version');
  const apiVersion = takesVersion ? draft.apiVersion : undefined;
  if (apiVersion !== undefined) headers['api-version'] = apiVersion;
  const owner = bucketlistId === undefined ? undefined : ownerOf(bucketlistId);
  const itemBelongs =
    !hasItemParam ||
    (bucketlistId !== undefined &&
      itemId !== undefined &&
      owned[owner ?? 'alice'].get(bucketlistId)?.has(itemId) === true);
  const ownsTarget =
    operation.pathParams.length === 0 ||
    (pathValid && !unclear && owner !== undefined && owner === tokenUser && itemBelongs);
  // Carol sees Alice's bucketlists as a viewer: she reads them, and is refused their writes.
  const viewsTarget =
    tokenUser === 'carol' && pathValid && !unclear && owner === 'alice' && sharedWithCarol.has(bucketlistId ?? 0);
  // A member path names a user (`first`): Carol's own membership is the one such a write may change.
  const namesCarol = operation.pathParams.some((parameter) => parameter.name === 'user_id') && first === carol.id;
  let tag: string | undefined;
  const wantsTag =
    (operation.headerParams.some((parameter) => parameter.name === 'if-match') && draft.ifMatch !== 'none') ||
    (operation.headerParams.some((parameter) => parameter.name === 'if-none-match') && draft.ifNoneMatch !== 'none');
  const tagUrl = operation.path === '/v1/users/me' ? '/v1/users/me' : resourceUrl;
  if (wantsTag && tagUrl && (ownsTarget || (viewsTarget && itemBelongs)) && tokenUser)
    tag = await currentTag(tagUrl, tokenUser, apiVersion);
  let ifMatch: string | undefined;
  let ifNoneMatch: string | undefined;
  if (operation.headerParams.some((parameter) => parameter.name === 'if-match')) {
    ifMatch = conditionalHeader(draft.ifMatch, tag);
    if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  }
  if (operation.headerParams.some((parameter) => parameter.name === 'if-none-match')) {
    ifNoneMatch = conditionalHeader(draft.ifNoneMatch, tag);
    if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
  }

  // Body.
  const body = draft.body;
  let payload: string | Buffer | undefined;
  switch (body.kind) {
    case 'none':
      break;
    case 'json':
      payload = JSON.stringify(body.value) ?? 'null';
      break;
    case 'raw':
      payload = body.text;
      break;
    case 'bytes':
      payload = Buffer.from(body.bytes);
      break;
    case 'huge':
      payload = JSON.stringify({ name: 'x'.repeat(body.size) });
      break;
    case 'own-credentials':
      payload = JSON.stringify({ email: body.email, password: alice.password });
      break;
    case 'refresh-current':
      payload = JSON.stringify({ refresh_token: await currentRefreshToken() });
      break;
    case 'refresh-reused':
      await currentRefreshToken();
      payload = JSON.stringify({ refresh_token: refreshChain.previous ?? 'never-issued' });
      break;
  }
  if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  let parsedBody: unknown;
  let bodyValid = false;
  if (operation.bodySchema !== undefined) {
    const type = classifyContentType(body.contentType);
    const size = payload === undefined ? 0 : Buffer.byteLength(payload);
    if (payload === undefined || size === 0) {
      // No body: the schema's required object is missing (RFC 9110 gives no media type to reject).
      fault(400, 'the body is missing or empty');
      // A media type is checked before the (empty) body is read.
      if (type !== 'json') alsoAllowed.add(415);
    } else if (type === 'other') {
      fault(415, `Content-Type ${body.contentType} is not JSON`);
    } else if (type === 'unclear') {
      unclear = true;
      for (const status of [400, 413, 415]) alsoAllowed.add(status);
    } else if (size > BODY_LIMIT) {
      fault(413, 'the body is over 1 MiB');
    } else {
      const parsed = parseAsServer(payload);
      if (!parsed.ok) {
        fault(400, 'the body is not JSON');
      } else {
        parsedBody = parsed.value;
        const validate = checker.validatorFor(operation.bodySchema);
        if (validate(parsed.value)) {
          bodyValid = true;
        } else {
          fault(
            400,
            `the document's schema rejects the body (${validate.errors?.[0]?.instancePath} ${validate.errors?.[0]?.message})`,
          );
        }
      }
    }
  } else if (payload !== undefined) {
    // A body where none is expected: only the invariants hold (it may be ignored or refused).
    unclear = true;
    for (const status of [400, 413, 415]) alsoAllowed.add(status);
  } else if (body.contentType !== undefined) {
    alsoAllowed.add(400);
  }

  // What the contract makes of it, in the order the checks run.
  // The export download also speaks CSV: there an Accept that takes text/csv is not refused (but a
  // URL that cannot be decoded matches no route, and is held to the JSON-only rule).
  const takesCsv = operation.id === 'downloadExport' && CSV_ACCEPTING.has(draft.accept?.value ?? '');
  const acceptExcludesJson = draft.accept?.accepts === false && operation.path.startsWith('/v1/') && !takesCsv;
  let expected: Set<number> | undefined;
  let why: string;
  const acceptUnclear =
    draft.accept !== undefined && draft.accept.accepts === undefined && operation.path.startsWith('/v1/');
  if (acceptUnclear || takesCsv) alsoAllowed.add(406);
  if (rerouted) {
    expected = undefined;
    why = 'a dot segment sends the request to another route: invariants only';
  } else if (operation.isProtected && tokenUser === undefined) {
    expected = new Set(acceptExcludesJson || acceptUnclear || takesCsv ? [401, 406] : [401]);
    why = `no valid token (${draft.auth}): authentication comes first`;
  } else if (acceptExcludesJson) {
    expected = new Set([406]);
    why = `Accept: ${draft.accept?.value} rules out JSON`;
  } else if (faults.size > 0) {
    expected = new Set([...faults, ...alsoAllowed]);
    why = reasons.join('; ');
  } else if (unclear || acceptUnclear) {
    expected = undefined;
    why = 'an unusual but not clearly invalid request: invariants only';
  } else {
    ({ expected, why } = successExpectation(operation, draft, {
      ownsTarget,
      viewsTarget: viewsTarget && itemBelongs,
      seesBucketlist:
        ownsTarget || viewsTarget || (owner === tokenUser && owner !== undefined && pathValid && !unclear),
      namesCarol,
      tokenUser,
      ifMatch,
      ifNoneMatch,
      tag,
      parsedBody,
    }));
  }

  const target = `${url}${query ? `?${query}` : ''}`;
  const payloadText =
    payload === undefined
      ? '(none)'
      : Buffer.isBuffer(payload)
        ? `<${payload.length} bytes ${payload.toString('hex').slice(0, 80)}>`
        : JSON.stringify(
            payload.length > 300 ? `${[...payload].slice(0, 300).join('')}… (${payload.length} chars)` : payload,
          );
  const shownHeaders = {
    ...headers,
    ...(headers.authorization ? { authorization: `${headers.authorization.slice(0, 30)}… (${draft.auth})` } : {}),
  };
  return {
    options: {
      method: operation.method as InjectOptions['method'],
      url: target,
      headers,
      ...(payload === undefined ? {} : { payload }),
    },
    describe: `${operation.method} ${target} headers=${JSON.stringify(shownHeaders)} body=${payloadText}`,
    expected,
    why,
    tokenUser,
    bucketlistId,
    itemId,
    parsedBody,
    bodyValid,
    filtered,
    requestId: draft.requestId,
    apiVersion: takesVersion ? (apiVersion ?? DEFAULT_API_VERSION) : undefined,
    rerouted,
  };
}

function successExpectation(
  operation: Operation,
  draft: Draft,
  context: {
    ownsTarget: boolean;
    /** Carol, Alice's viewer, on one of Alice's bucketlists (and the item, if any, is in it). */
    viewsTarget: boolean;
    /** The caller may see the bucketlist the path names (as owner or member). */
    seesBucketlist: boolean;
    /** The member path names Carol. */
    namesCarol: boolean;
    tokenUser: UserKey | undefined;
    ifMatch?: string;
    ifNoneMatch?: string;
    tag?: string;
    parsedBody: unknown;
  },
): { expected: Set<number> | undefined; why: string } {
  const body = context.parsedBody as Record<string, string> | undefined;
  const tagMatches = (header: string | undefined, weak: boolean) => {
    if (header === undefined) return undefined;
    if (header.trim() === '*') return true;
    if (!context.tag) return false;
    return header.split(',').some((candidate) => {
      const tag = candidate.trim();
      return tag === context.tag || (weak && tag.replace(/^W\//, '') === context.tag);
    });
  };
  const write = (success: number) => {
    if (context.viewsTarget) return { expected: new Set([403]), why: 'a viewer may not write' };
    if (!context.ownsTarget)
      return { expected: new Set(context.ifMatch ? [404, 412] : [404]), why: 'not the caller’s resource' };
    const matches = tagMatches(context.ifMatch, false);
    if (matches === false)
      return { expected: new Set([412]), why: `If-Match ${context.ifMatch} is not the current tag ${context.tag}` };
    return { expected: new Set([success]), why: 'a valid write to the caller’s own resource' };
  };
  const read = () => {
    if (!context.ownsTarget && !context.viewsTarget)
      return { expected: new Set([404]), why: 'not the caller’s resource' };
    if (tagMatches(context.ifNoneMatch, true))
      return { expected: new Set([304]), why: 'If-None-Match names the current tag' };
    return { expected: new Set([200]), why: 'a valid read of the caller’s own resource' };
  };
  switch (operation.id) {
    case 'getHealth':
    case 'getReadiness':
      return { expected: new Set([200]), why: 'the probes answer 200' };
    case 'register': {
      const taken = accounts.has(String(body?.email).toLowerCase());
      return taken
        ? { expected: new Set([409]), why: 'the email is taken (case-insensitively)' }
        : { expected: new Set([201]), why: 'a valid registration' };
    }
    case 'login': {
      if (draft.body.kind === 'own-credentials')
        return { expected: new Set([200]), why: 'the right credentials, email in any case' };
      const password = accounts.get(String(body?.email).toLowerCase());
      return password === body?.password
        ? { expected: new Set([200]), why: 'credentials of an account registered by the fuzz' }
        : { expected: new Set([401]), why: 'wrong email or password' };
    }
    case 'refreshTokens':
      if (draft.body.kind === 'refresh-current') return { expected: new Set([200]), why: 'the current refresh token' };
      return { expected: new Set([401]), why: 'a refresh token that is not current' };
    case 'logout':
      return { expected: new Set([204]), why: 'logout of a live session' };
    case 'getCurrentUser':
      return read();
    case 'createBucketlist':
      return { expected: new Set([201]), why: 'a valid bucketlist' };
    case 'listBucketlists':
      return { expected: new Set([200]), why: 'a valid list request' };
    case 'createItem':
      if (context.viewsTarget) return { expected: new Set([403]), why: 'a viewer may not add items' };
      return context.ownsTarget
        ? { expected: new Set([201]), why: 'a valid item in the caller’s bucketlist' }
        : { expected: new Set([404]), why: 'not the caller’s bucketlist' };
    case 'listItems':
      return context.ownsTarget || context.viewsTarget
        ? { expected: new Set([200]), why: 'a valid list of the caller’s bucketlist' }
        : { expected: new Set([404]), why: 'not the caller’s bucketlist' };
    case 'getBucketlist':
    case 'getItem':
      return read();
    case 'replaceBucketlist':
    case 'updateBucketlist':
    case 'replaceItem':
    case 'updateItem':
      return write(200);
    case 'deleteBucketlist':
    case 'deleteItem':
      return write(204);
    case 'listMembers':
      return context.seesBucketlist
        ? { expected: new Set([200]), why: 'the owner and members list the members' }
        : { expected: new Set([404]), why: 'not a bucketlist the caller may see' };
    case 'getMember':
      if (!context.seesBucketlist) return { expected: new Set([404]), why: 'not a bucketlist the caller may see' };
      return context.namesCarol
        ? { expected: new Set([200]), why: 'Carol is a member' }
        : { expected: new Set([404]), why: 'not a member' };
    case 'addMember':
    case 'updateMember':
    case 'removeMember':
      if (!context.seesBucketlist) return { expected: new Set([404]), why: 'not a bucketlist the caller may see' };
      if (context.tokenUser === 'carol')
        return operation.id === 'removeMember' && context.namesCarol
          ? { expected: new Set([204]), why: 'a member may leave' }
          : { expected: new Set([403]), why: 'only the owner shares and changes roles' };
      if (operation.id === 'addMember') return { expected: undefined, why: 'sharing by email: invariants only' };
      return context.namesCarol
        ? { expected: new Set([200, 204]), why: "the owner changes Carol's membership" }
        : { expected: new Set([404]), why: 'not a member' };
    case 'adminListUsers':
    case 'adminGetUser':
    case 'adminDeactivateUser':
    case 'adminReactivateUser':
    case 'adminDeleteUser':
      return { expected: new Set([403]), why: 'the fuzz users are not admins' };
    default:
      return { expected: undefined, why: 'an operation the fuzz has no expectation for: invariants only' };
  }
}

// ---------------------------------------------------------------------------------------------
// Checking a response, and keeping the state in step with it
// ---------------------------------------------------------------------------------------------

/** Bugs already reported (see the report in docs and the test output): recorded as todo, not failed. */
const KNOWN_BUGS: Array<{
  bug: string;
  matches(resolved: Resolved, response: LightMyRequestResponse, problems: string[]): boolean;
}> = [
  {
    // PGlite decodes text with a default TextDecoder, which drops a leading U+FEFF (BOM) on read;
    // the row holds it (length() counts it), the API returns the text without it.
    bug: 'bug (embedded database): text beginning with U+FEFF loses it when read back through PGlite',
    matches: (_resolved, _response, problems) =>
      problems.length > 0 && problems.every((problem) => problem.includes('did not round-trip: sent "\ufeff')),
  },
];

const knownHits = new Map<string, string>();

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Text the contract promises to round-trip: Unicode scalar values only (no lone surrogates), and no NUL. */
const wellFormed = (value: unknown) =>
  typeof value === 'string' && !LONE_SURROGATE.test(value) && !value.includes('\u0000');

function problemsWith(
  operation: Operation,
  resolved: Resolved,
  response: LightMyRequestResponse,
  elapsedMs: number,
): string[] {
  const problems: string[] = [];
  const status = response.statusCode;
  if (elapsedMs > REQUEST_BOUND_MS) problems.push(`took ${Math.round(elapsedMs)} ms (bound ${REQUEST_BOUND_MS} ms)`);
  if (status >= 500) problems.push(`a ${status}: ${response.body.slice(0, 300)}`);
  const exchange = {
    method: operation.method,
    route: resolved.rerouted ? undefined : operation.path,
    status,
    headers: response.headers,
    body: response.body,
  };
  for (const violation of checker.check(exchange)) {
    if (!knownDeviation(violation, exchange)) problems.push(describeViolation(violation));
  }
  if (status >= 400 && status < 500 && !CODE_BY_STATUS[status])
    problems.push(`status ${status} has no code in the contract`);
  if (resolved.expected && !resolved.expected.has(status)) {
    problems.push(
      `expected ${[...resolved.expected].join(' or ')} (${resolved.why}), got ${status}: ${response.body.slice(0, 300)}`,
    );
  }
  const requestId = response.headers['x-request-id'];
  if (typeof requestId !== 'string' || requestId === '') problems.push('no X-Request-Id');
  else if (
    resolved.requestId !== undefined &&
    /^[A-Za-z0-9._:-]{1,128}$/.test(resolved.requestId) &&
    requestId !== resolved.requestId
  ) {
    problems.push(`the sane X-Request-Id ${resolved.requestId} was not echoed (got ${requestId})`);
  }
  if (response.headers['x-content-type-options'] !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if (response.headers['x-powered-by'] !== undefined) problems.push('X-Powered-By is sent');
  // Refused before the API's routes (an undecodable path, 404, 405, 503 under pressure) or by the
  // limiter ahead of the version check (429), a response names no version.
  const routed =
    !resolved.rerouted && decodablePath(String(resolved.options.url)) && ![404, 405, 429, 503].includes(status);
  if (resolved.apiVersion !== undefined && routed) {
    if (response.headers['api-version'] !== resolved.apiVersion)
      problems.push(`Api-Version ${String(response.headers['api-version'])}, expected ${resolved.apiVersion}`);
    if (!/\bApi-Version\b/.test(String(response.headers.vary))) problems.push('no Vary: Api-Version');
  }
  if (status === 401 && !/^Bearer/i.test(String(response.headers['www-authenticate'] ?? ''))) {
    problems.push('a 401 without WWW-Authenticate: Bearer');
  }
  if (status >= 200 && status < 300) problems.push(...successProblems(operation, resolved, response));
  return problems;
}

/** Round trips, ownership and totals after a success. */
function successProblems(operation: Operation, resolved: Resolved, response: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  const sent = resolved.bodyValid ? (resolved.parsedBody as Record<string, unknown>) : undefined;
  const body = response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
  const user = resolved.tokenUser;
  if (sent) {
    for (const field of ['name', 'description'] as const) {
      const given = sent[field];
      if (typeof given === 'string' && wellFormed(given)) {
        const stored = field === 'name' ? given.trim() : given;
        if (body[field] !== stored)
          problems.push(
            `${field} did not round-trip: sent ${JSON.stringify(given)}, got ${JSON.stringify(body[field])}`,
          );
      }
    }
    if (operation.id === 'register' && typeof sent.email === 'string' && body.email !== sent.email.toLowerCase()) {
      problems.push(`the email is not stored lower-cased: ${JSON.stringify(body.email)}`);
    }
    if (operation.id === 'replaceBucketlist' && sent.description === undefined && body.description !== null) {
      problems.push('PUT without a description must set it to null');
    }
  }
  const sharingFields = resolved.apiVersion !== undefined && resolved.apiVersion >= SHARING_API_VERSION;
  if (!sharingFields && VERSIONED_OPERATIONS.has(operation.id)) {
    const rows = operation.id === 'listBucketlists' ? (body.items as Record<string, unknown>[]) : [body];
    if (rows.some((row) => 'role' in row || 'owner_id' in row))
      problems.push(`API version ${String(resolved.apiVersion)} shows the sharing fields`);
  }
  if (operation.id === 'listBucketlists' && user) {
    const page = body as { items: Array<{ id: number; role?: string }>; total: number };
    const scope = new URL(String(resolved.options.url), 'http://localhost').searchParams.get('scope') ?? 'owned';
    const shared = user === 'carol' ? [...sharedWithCarol].filter((id) => owned.alice.has(id)) : [];
    const visible = new Map<number, string>([
      ...(scope === 'shared' ? [] : [...owned[user].keys()].map((id): [number, string] => [id, 'owner'])),
      ...(scope === 'owned' ? [] : shared.map((id): [number, string] => [id, 'viewer'])),
    ]);
    const strangers = page.items.filter((item) =>
      sharingFields ? visible.get(item.id) !== item.role : !visible.has(item.id),
    );
    if (strangers.length > 0)
      problems.push(`the list shows bucketlists not visible to the caller so: ${strangers.map((item) => item.id)}`);
    if (!resolved.filtered && page.total !== visible.size)
      problems.push(`total is ${page.total}, the caller has ${visible.size} in scope ${scope}`);
  }
  if (operation.id === 'listItems' && user && resolved.bucketlistId !== undefined) {
    const page = body as { items: Array<{ id: number }>; total: number };
    const mine = owned[seenAs(user)].get(resolved.bucketlistId) ?? new Set();
    const strangers = page.items.filter((item) => !mine.has(item.id));
    if (strangers.length > 0)
      problems.push(`the list shows items not of this bucketlist: ${strangers.map((item) => item.id)}`);
    if (!resolved.filtered && page.total !== mine.size)
      problems.push(`total is ${page.total}, the bucketlist has ${mine.size}`);
  }
  if (['getBucketlist', 'replaceBucketlist', 'updateBucketlist'].includes(operation.id) && user) {
    const items = owned[seenAs(user)].get(body.id as number);
    if (items && body.item_count !== items.size)
      problems.push(`item_count is ${body.item_count}, the bucketlist has ${items.size}`);
  }
  return problems;
}

function track(operation: Operation, resolved: Resolved, response: LightMyRequestResponse) {
  const status = response.statusCode;
  const user = resolved.tokenUser;
  if (operation.id === 'register' && status === 201 && resolved.bodyValid) {
    const sent = resolved.parsedBody as { email: string; password: string };
    accounts.set(sent.email.toLowerCase(), sent.password);
  }
  if (operation.id === 'refreshTokens' && resolved.parsedBody) {
    const presented = (resolved.parsedBody as { refresh_token?: string }).refresh_token;
    if (status === 200) {
      refreshChain.previous = presented;
      refreshChain.current = json<{ refresh_token: string }>(response).refresh_token;
    } else if (presented === refreshChain.previous && presented !== undefined) {
      refreshChain.current = undefined; // reuse revoked the chain's session
    }
  }
  if (operation.id === 'logout' && status === 204) {
    revokedTokens.push(String(resolved.options.headers?.authorization ?? '').replace(/^\S+\s+/, ''));
  }
  if (!user) return;
  // A member write that succeeded may have changed Carol's membership: share again before the next request.
  if (['updateMember', 'removeMember'].includes(operation.id) && status < 300 && resolved.bucketlistId !== undefined) {
    sharedWithCarol.delete(resolved.bucketlistId);
  }
  if (operation.id === 'createBucketlist' && status === 201)
    owned[user].set(json<{ id: number }>(response).id, new Set());
  if (operation.id === 'deleteBucketlist' && status === 204 && resolved.bucketlistId !== undefined) {
    owned[user].delete(resolved.bucketlistId);
  }
  if (operation.id === 'createItem' && status === 201 && resolved.bucketlistId !== undefined) {
    owned[user].get(resolved.bucketlistId)?.add(json<{ id: number }>(response).id);
  }
  if (
    operation.id === 'deleteItem' &&
    status === 204 &&
    resolved.bucketlistId !== undefined &&
    resolved.itemId !== undefined
  ) {
    owned[user].get(resolved.bucketlistId)?.delete(resolved.itemId);
  }
}

// ---------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------

t.comment(
  `fuzzing ${operations.length} operations, ${TOTAL_RUNS} generated requests, seed ${SEED} (FUZZ_SEED=${SEED} replays it)`,
);
const runsPerOperation = Math.ceil(TOTAL_RUNS / operations.length);
const fuzzStarted = performance.now();
let generated = 0;

for (const [index, operation] of operations.entries()) {
  t.test(`${operation.method} ${operation.path} (${operation.id}) survives generated requests`, async (t) => {
    const property = fc.asyncProperty(draftArbitrary(operation), async (draft) => {
      generated += 1;
      const resolved = await resolveDraft(operation, draft);
      const started = performance.now();
      const response = await send(resolved.options);
      const elapsed = performance.now() - started;
      track(operation, resolved, response);
      const problems = problemsWith(operation, resolved, response, elapsed);
      if (problems.length === 0) return;
      const known = KNOWN_BUGS.find((candidate) => candidate.matches(resolved, response, problems));
      if (known) {
        if (!knownHits.has(known.bug)) knownHits.set(known.bug, `${resolved.describe} → ${response.statusCode}`);
        return;
      }
      throw new Error(`${resolved.describe}\n  → ${response.statusCode}\n  - ${problems.join('\n  - ')}`);
    });
    const details = await fc.check(property, {
      numRuns: runsPerOperation,
      seed: SEED + index,
      plugins: [fc.interruptAfterTimeLimit(60_000)],
    });
    if (details.failed) {
      const error =
        details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      t.fail(
        `a generated request broke an invariant (seed ${details.seed}, path ${details.counterexamplePath}, ${details.numShrinks} shrinks):\n${error}`,
      );
    } else {
      t.pass(`${details.numRuns} generated requests kept every invariant`);
    }
    const health = await send({ method: 'GET', url: '/healthz' });
    t.equal(health.statusCode, 200, 'the server still answers /healthz');
  });
}

t.test('methods the document does not list for a path answer 405 with Allow', async (t) => {
  for (const [path, methods] of Object.entries(document.paths)) {
    const url = path.replace(/\{[^}]+\}/g, '1');
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      if (methods[method.toLowerCase()]) continue;
      const response = await send({ method, url, headers: alice.headers });
      t.equal(response.statusCode, 405, `${method} ${path} is 405`);
      const allow = String(response.headers.allow ?? '');
      for (const listed of Object.keys(methods))
        t.match(allow, listed.toUpperCase(), `${method} ${path}: Allow lists ${listed.toUpperCase()}`);
      t.match(response.headers['content-type'], /^application\/problem\+json/);
      t.equal(response.json().code, 'method_not_allowed');
    }
  }
});

t.test('the document marks no parameter with a default as required', async (t) => {
  // The fuzz sends lists without page, page_size or sort, as the contract allows (they have
  // defaults); a client generated from the document could not.
  const defaultedButRequired = operations.flatMap((operation) =>
    [...operation.queryParams, ...operation.headerParams]
      .filter((parameter) => parameter.required === true && parameter.schema?.default !== undefined)
      .map((parameter) => `${operation.id}: ${parameter.name} (default ${JSON.stringify(parameter.schema?.default)})`),
  );
  // Regression: page, page_size and sort once had a default without Type.Optional, so
  // @fastify/swagger emitted `required: true` for them.
  t.same(defaultedButRequired, [], 'no parameter that has a default is required');
});

t.test('after the fuzz, the server is healthy and ready, and the counts are as reported', async (t) => {
  t.equal((await send({ method: 'GET', url: '/healthz' })).statusCode, 200, '/healthz answers 200');
  t.equal((await send({ method: 'GET', url: '/readyz' })).statusCode, 200, '/readyz answers 200');
  if (shedRequests > 0 || pressureEncounters > 0) {
    // Not a failure: one client sending back to back keeps the loop busy on the embedded database,
    // and shedding load is then what src/plugins/pressure.ts is for. Reported, not asserted.
    t.comment(
      `load shedding was on ${pressureEncounters} times before a request; ${shedRequests} requests were shed and resent${shedExample ? `, e.g. ${shedExample}` : ''}`,
    );
  }
  for (const [bug, example] of knownHits) {
    t.fail(`known bug reproduced: ${example}`, { todo: bug });
  }
  t.ok(generated >= TOTAL_RUNS, `${generated} generated requests (at least ${TOTAL_RUNS})`);
  t.comment(
    `${generated} generated requests, ${sent} sent in all (${shedRequests} shed and resent; ${pressureEncounters} times the app was shedding load before a request, ${pressureWaitMs} ms waited for it to end), in ${Math.round((performance.now() - fuzzStarted) / 1000)} s; slowest ${Math.round(slowestMs)} ms`,
  );
});
