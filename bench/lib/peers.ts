/**
 * Peers: what a TypeScript user would pick instead of writing this API, on the same seeded
 * PostgreSQL database, measured in the same rounds as the API. Each peer lives in
 * bench/peers/<name>/ with its own package.json and lock, installed on demand with `npm ci`, so
 * the project's own dependencies and their audit never see it. Pure parts only: the bench runs them.
 */
import { createHash } from 'node:crypto';
import type { Fixture } from './database.js';
import type { ScriptedRequest } from './lua-data.js';
import { interleaveByOwner, type ScenarioName, scenarioRequests } from './scenarios.js';

/** The app scenarios a peer is measured on, each against the same rows as the app's. */
export const PEER_SCENARIOS = ['get-bucketlist', 'list-bucketlists'] as const satisfies readonly ScenarioName[];
export type PeerScenario = (typeof PEER_SCENARIOS)[number];

/** What a peer's configuration is made of: the bench's database and secret, and the API's settings. */
export interface PeerConfigInput {
  connectionString: string;
  jwtSecret: string;
  logLevel: string;
  poolSize: number;
}

export interface PeerRequestInputs {
  fixture: Fixture;
  /** A token for the peer per user id. */
  tokens: Map<number, string>;
  /** Pages of the bucketlist list to walk (1..n), as the app's scenario does. */
  listPages?: number;
}

export interface Peer {
  /** Folder under bench/peers/, and the prefix of its scenarios' names. */
  name: string;
  /** As the results table names it. */
  title: string;
  /** The entry point under the peer's folder, run with plain `node`; it reads PEER_CONFIG and PORT. */
  entry: string;
  /** A path that answers 200 once the server is ready. */
  readyPath: string;
  /** The npm script that builds the entry point after the install, when there is one. */
  build?: string;
  /** The configuration the bench writes to a JSON file and hands over as PEER_CONFIG. */
  config(input: PeerConfigInput): unknown;
  /** The claims of a user's token for the peer, signed HS256 with the API's secret. */
  claims(userId: number): Record<string, string>;
  /** The peer's equivalent of an app scenario, over the same rows. */
  requests(scenario: PeerScenario, inputs: PeerRequestInputs): ScriptedRequest[];
  labels: Record<PeerScenario, string>;
  /** How the peer's answers and work differ from the API's, for the report. */
  differences: string[];
  /** What is wrong with the peer's answers to the checks the bench makes before measuring it. */
  problems(answers: PeerAnswers, expected: PeerExpectations): string[];
}

/** One answer of the peer: status, the total-count header, and the parsed body. */
export interface PeerAnswer {
  status: number;
  totalHeader: string | null;
  body: unknown;
}

/**
 * The bench asks the peer, before measuring it, for a bucketlist with its owner's token, with
 * another user's token and with none, and for the owner's first list page: a peer that answered
 * 200 to everything would otherwise be measured doing less than the API.
 */
export interface PeerAnswers {
  own: PeerAnswer;
  foreign: PeerAnswer;
  anonymous: PeerAnswer;
  page: PeerAnswer;
}

export interface PeerExpectations {
  /** The bucketlist asked for. */
  id: number;
  /** The ids of the page's owner's bucketlists, all of them. */
  ownerIds: number[];
}

/** The checks' requests: the first of each scenario, another user's token, and none. */
export function peerCheckRequests(peer: Peer, inputs: PeerRequestInputs) {
  const [get] = peer.requests('get-bucketlist', inputs);
  const [page] = peer.requests('list-bucketlists', inputs);
  // Both scenarios start with the first bucketlist, and the first user's page.
  const [first] = interleaveByOwner(inputs.fixture.bucketlists);
  const foreigner = inputs.fixture.users.find((user) => user.id !== first?.ownerId);
  if (!get || !page || !first || !foreigner) throw new Error('the peer checks need two users and a bucketlist');
  const owner = inputs.fixture.users[0]?.id;
  return {
    own: get,
    foreign: { ...get, token: tokenOf(inputs.tokens, foreigner.id) },
    anonymous: { method: get.method, path: get.path },
    page,
    expected: {
      id: first.id,
      ownerIds: inputs.fixture.bucketlists.filter((row) => row.ownerId === owner).map((row) => row.id),
    },
  };
}

/** The claim Platformatic reads a caller's roles from (its default `roleKey`). */
export const PLATFORMATIC_ROLE_CLAIM = 'X-PLATFORMATIC-ROLE';
/** The one role the peer's rules grant: a signed-in user, who reads only their own rows. */
export const PLATFORMATIC_USER_ROLE = 'user';

/**
 * What the peer's tokens carry: the API's `sub` (the user id, which the rules compare with
 * owner_id) and the role Platformatic requires, since its rules apply per role and a token
 * without one counts as anonymous.
 */
export const platformaticClaims = (userId: number) => ({
  sub: String(userId),
  [PLATFORMATIC_ROLE_CLAIM]: PLATFORMATIC_USER_ROLE,
});

/** The fields the API's bucketlist representation has, in Platformatic's camelCase. */
export const BUCKETLIST_FIELDS = ['id', 'name', 'description', 'itemCount', 'createdAt', 'updatedAt'] as const;

/**
 * The peer's platformatic.json: the REST API Platformatic DB generates by introspecting the
 * seeded tables, with JWT authorization. Tokens are HS256 with the API's secret, verified with
 * the options the API gives @fastify/jwt (the same library); the rules let a `user` find only
 * the bucketlists and items whose owner_id is the token's `sub`, and change nothing. Sessions
 * and refresh tokens get no routes; users get routes no rule opens (so every call is a 401).
 * GraphQL is off: only REST is measured.
 */
export function platformaticConfig(input: PeerConfigInput) {
  return {
    server: { hostname: '127.0.0.1', logger: { level: input.logLevel } },
    db: {
      connectionString: input.connectionString,
      poolSize: input.poolSize,
      graphql: false,
      openapi: true,
      ignore: { sessions: true, refresh_tokens: true },
    },
    authorization: {
      jwt: {
        secret: input.jwtSecret,
        verify: { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], cache: true },
      },
      rules: [
        {
          role: PLATFORMATIC_USER_ROLE,
          entities: ['bucketlist', 'item'],
          find: { checks: { ownerId: 'sub' } },
          save: false,
          delete: false,
        },
      ],
    },
  };
}

const PAGE_SIZE = 20;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a peer's answers keep what the checks compare: the GET's fields, the page's rows and total. */
interface AnswerShape {
  fields: readonly string[];
  rows(page: PeerAnswer): unknown;
  total(page: PeerAnswer): string | undefined;
  totalName: string;
}

/** A peer's answers against the API's: the same fields, the owner's rows only, the owner's total. */
function answerProblems(answers: PeerAnswers, expected: PeerExpectations, shape: AnswerShape): string[] {
  const problems: string[] = [];
  const { own, foreign, anonymous, page } = answers;
  const fields = [...shape.fields].sort().join(',');
  if (own.status !== 200 || !isRecord(own.body) || own.body.id !== expected.id) {
    problems.push(`GET with the owner's token: ${own.status}, not bucketlist ${expected.id}`);
  } else if (Object.keys(own.body).sort().join(',') !== fields) {
    problems.push(`GET answered the fields ${Object.keys(own.body).join(',')}, not ${shape.fields.join(',')}`);
  }
  if (foreign.status !== 404) problems.push(`GET with another user's token: ${foreign.status}, not 404`);
  if (anonymous.status !== 401) problems.push(`GET without a token: ${anonymous.status}, not 401`);
  const rows = shape.rows(page);
  const ids = Array.isArray(rows) ? rows.filter(isRecord).map((row) => row.id) : [];
  const wanted = [...expected.ownerIds].sort((a, b) => b - a).slice(0, PAGE_SIZE);
  if (page.status !== 200 || ids.join(',') !== wanted.join(',')) {
    problems.push(`list page: ${page.status} with ids ${ids.join(',')}, not the owner's ${wanted.join(',')}`);
  }
  const total = shape.total(page);
  if (total !== String(expected.ownerIds.length)) {
    problems.push(`list page: ${shape.totalName} ${total}, not ${expected.ownerIds.length}`);
  }
  return problems;
}

/** Platformatic's list is the bare array of rows, its total a header. */
export const platformaticProblems = (answers: PeerAnswers, expected: PeerExpectations) =>
  answerProblems(answers, expected, {
    fields: BUCKETLIST_FIELDS,
    rows: (page) => page.body,
    total: (page) => page.totalHeader ?? undefined,
    totalName: 'X-Total-Count',
  });

function tokenOf(tokens: Map<number, string>, userId: number): string {
  const token = tokens.get(userId);
  if (!token) throw new Error(`no peer token for user ${userId}`);
  return token;
}

/**
 * Platformatic's equivalent of an app scenario, over the same rows in the same order: the GET
 * of one bucketlist by id, and list pages of 20 by id descending with the total count (in its
 * `X-Total-Count` header). Both ask for the API's six fields, so the bodies hold the same data.
 */
export function platformaticRequests(scenario: PeerScenario, inputs: PeerRequestInputs): ScriptedRequest[] {
  const { fixture, tokens } = inputs;
  const fields = `fields=${BUCKETLIST_FIELDS.join(',')}`;
  if (scenario === 'get-bucketlist') {
    return interleaveByOwner(fixture.bucketlists).map((row) => ({
      method: 'GET',
      path: `/bucketlists/${row.id}?${fields}`,
      token: tokenOf(tokens, row.ownerId),
    }));
  }
  const pages = inputs.listPages ?? 5;
  return Array.from({ length: pages }, (_, page) =>
    fixture.users.map((user) => ({
      method: 'GET',
      path: `/bucketlists?limit=${PAGE_SIZE}&offset=${page * PAGE_SIZE}&orderby.id=desc&totalCount=true&${fields}`,
      token: tokenOf(tokens, user.id),
    })),
  ).flat();
}

export const PLATFORMATIC: Peer = {
  name: 'platformatic',
  title: 'Platformatic DB',
  entry: 'server.js',
  // Platformatic's own root page; its `/status` health check is off by default.
  readyPath: '/',
  config: platformaticConfig,
  claims: platformaticClaims,
  requests: platformaticRequests,
  labels: {
    'get-bucketlist': 'Platformatic DB GET /bucketlists/:id?fields=… (owner rule)',
    'list-bucketlists': 'Platformatic DB GET /bucketlists?limit=20&offset=…&orderby.id=desc&totalCount=true',
  },
  problems: platformaticProblems,
  differences: [
    "Same tables, rows and PostgreSQL database as the API, introspected at start; one process on the API's core, pool of 10, LOG_LEVEL as the API's (Fastify's two request lines per request to a file).",
    "Auth: the token's HS256 signature, exp and sub are checked (the API's verify options: HS256 only, required claims, fast-jwt's verified-token cache); no session lookup, so a logged-out token still works; the tokens also carry Platformatic's role claim, which its rules need.",
    "GET: the same six fields (asked for with `fields=`), camelCase keys; another user's row is a 404. No ETag, no security headers, no X-Request-Id, no metrics, no load shedding; errors are Fastify's JSON, not problem+json.",
    "List: a bare JSON array of 20 rows by id descending with the owner's total in an X-Total-Count header (a second statement, SELECT COUNT(*), run when the page is full), paged by limit/offset; the API returns {items, page, page_size, total} from one statement.",
  ],
};

/** The fields of the API's bucketlist representation, as it names them. */
export const API_BUCKETLIST_FIELDS = ['id', 'name', 'description', 'item_count', 'created_at', 'updated_at'] as const;

/** The NestJS peer's list answers as the API's does: `{ items, page, page_size, total }`. */
export const nestProblems = (answers: PeerAnswers, expected: PeerExpectations) =>
  answerProblems(answers, expected, {
    fields: API_BUCKETLIST_FIELDS,
    rows: (page) => (isRecord(page.body) ? page.body.items : undefined),
    total: (page) => (isRecord(page.body) && page.body.total !== undefined ? String(page.body.total) : undefined),
    totalName: 'total',
  });

/** The NestJS peer's configuration file: only what its module needs. */
export const nestConfig = (input: PeerConfigInput) => ({
  connectionString: input.connectionString,
  jwtSecret: input.jwtSecret,
  poolSize: input.poolSize,
});

export const NESTJS: Peer = {
  name: 'nestjs',
  title: 'NestJS',
  entry: 'dist/main.js',
  readyPath: '/healthz',
  build: 'build',
  config: nestConfig,
  // What the API's access tokens say about the caller that a stateless guard can use.
  claims: (userId) => ({ sub: String(userId) }),
  // The API's own paths and query strings: the peer implements the same two routes.
  requests: (scenario, inputs) => scenarioRequests(scenario, { ...inputs, password: '' }),
  labels: {
    'get-bucketlist': 'NestJS GET /v1/bucketlists/:id (Express, @nestjs/jwt guard, TypeORM)',
    'list-bucketlists': 'NestJS GET /v1/bucketlists?page_size=20 (TypeORM findAndCount)',
  },
  problems: nestProblems,
  differences: [
    "NestJS's default stack as its guides write it: the Express platform, a guard that verifies the bearer token with @nestjs/jwt (jsonwebtoken, HS256 only, no cache; the secret as a KeyObject, since a string one costs jsonwebtoken a failed public-key parse per verify), TypeORM's repository over pg (pool of 10); one process on the API's core; Nest's default logger, which writes no line per request.",
    "GET and list: the API's paths, query parameters and JSON bodies ({items, page, page_size, total}); another user's row is a 404. findAndCount runs two statements (the page, then COUNT(1)). No session lookup, no schema validation of the response, no security headers, no request id, no metrics, no load shedding; Express adds its weak ETag (a hash of the body) and X-Powered-By.",
  ],
};

export const PEERS: readonly Peer[] = [PLATFORMATIC, NESTJS];

/** The name of a peer's run of an app scenario in the results, e.g. `platformatic-get-bucketlist`. */
export const peerScenario = (peer: Peer, scenario: PeerScenario) => `${peer.name}-${scenario}`;

/** The peer and app scenario behind a results name, when it is a peer's. */
export function parsePeerScenario(name: string): { peer: Peer; scenario: PeerScenario } | undefined {
  for (const peer of PEERS) {
    for (const scenario of PEER_SCENARIOS) if (peerScenario(peer, scenario) === name) return { peer, scenario };
  }
  return undefined;
}

/** What the bench writes into a peer's node_modules after `npm ci`: the hash of the lock it installed. */
export const lockStamp = (lockText: string) => createHash('sha256').update(lockText).digest('hex');

/** Whether a peer needs `npm ci`: nothing installed yet, or installed from another lock. */
export const needsInstall = (lockText: string, stampText: string | undefined) =>
  stampText?.trim() !== lockStamp(lockText);
