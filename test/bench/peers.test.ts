import t from 'tap';
import {
  API_BUCKETLIST_FIELDS,
  BUCKETLIST_FIELDS,
  lockStamp,
  NESTJS,
  needsInstall,
  PEERS,
  PLATFORMATIC,
  PLATFORMATIC_ROLE_CLAIM,
  type PeerAnswers,
  parsePeerScenario,
  peerCheckRequests,
  peerScenario,
  platformaticConfig,
} from '../../bench/lib/peers.js';
import { LABELS, scenarioRequests } from '../../bench/lib/scenarios.js';
import { fixture, tokens } from './fixture.js';

const FIELDS = 'fields=id,name,description,itemCount,createdAt,updatedAt';

t.test(
  "Platformatic's config: the bench's database, HS256 with the API's options, rules by the token's sub",
  async (t) => {
    const config = platformaticConfig({
      connectionString: 'postgres://postgres@127.0.0.1:5432/peers_bench',
      jwtSecret: 'secret',
      logLevel: 'info',
      poolSize: 10,
    });
    t.same(config, {
      server: { hostname: '127.0.0.1', logger: { level: 'info' } },
      db: {
        connectionString: 'postgres://postgres@127.0.0.1:5432/peers_bench',
        poolSize: 10,
        graphql: false,
        openapi: true,
        ignore: { sessions: true, refresh_tokens: true },
      },
      authorization: {
        jwt: { secret: 'secret', verify: { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'], cache: true } },
        rules: [
          {
            role: 'user',
            entities: ['bucketlist', 'item'],
            find: { checks: { ownerId: 'sub' } },
            save: false,
            delete: false,
          },
        ],
      },
    });
    t.equal(PLATFORMATIC.config, platformaticConfig);
  },
);

t.test("a peer token's claims: the API's sub and the role the rules name", async (t) => {
  t.same(PLATFORMATIC.claims(42), { sub: '42', [PLATFORMATIC_ROLE_CLAIM]: 'user' });
  t.equal(PLATFORMATIC_ROLE_CLAIM, 'X-PLATFORMATIC-ROLE', "Platformatic's default roleKey");
});

t.test("the peer's GET walks the app's rows in the app's order, with each owner's token", async (t) => {
  t.same(PLATFORMATIC.requests('get-bucketlist', { fixture, tokens }), [
    { method: 'GET', path: `/bucketlists/10?${FIELDS}`, token: 'token-1' },
    { method: 'GET', path: `/bucketlists/20?${FIELDS}`, token: 'token-2' },
    { method: 'GET', path: `/bucketlists/11?${FIELDS}`, token: 'token-1' },
  ]);
  t.same([...BUCKETLIST_FIELDS], ['id', 'name', 'description', 'itemCount', 'createdAt', 'updatedAt']);
});

t.test("the peer's list walks pages of 20 by id descending with the total, five pages by default", async (t) => {
  const paths = PLATFORMATIC.requests('list-bucketlists', { fixture, tokens, listPages: 2 }).map(
    (request) => `${request.token} ${request.path}`,
  );
  t.same(paths, [
    `token-1 /bucketlists?limit=20&offset=0&orderby.id=desc&totalCount=true&${FIELDS}`,
    `token-2 /bucketlists?limit=20&offset=0&orderby.id=desc&totalCount=true&${FIELDS}`,
    `token-1 /bucketlists?limit=20&offset=20&orderby.id=desc&totalCount=true&${FIELDS}`,
    `token-2 /bucketlists?limit=20&offset=20&orderby.id=desc&totalCount=true&${FIELDS}`,
  ]);
  t.equal(PLATFORMATIC.requests('list-bucketlists', { fixture, tokens }).length, 10);
  t.throws(() => PLATFORMATIC.requests('get-bucketlist', { fixture, tokens: new Map() }), /no peer token for user 1/);
});

t.test('peer scenario names go both ways, and name nothing else', async (t) => {
  t.equal(peerScenario(PLATFORMATIC, 'list-bucketlists'), 'platformatic-list-bucketlists');
  t.same(parsePeerScenario('platformatic-get-bucketlist'), { peer: PLATFORMATIC, scenario: 'get-bucketlist' });
  t.equal(parsePeerScenario('get-bucketlist'), undefined);
  t.equal(parsePeerScenario('platformatic-post-item'), undefined);
  t.same(parsePeerScenario('nestjs-list-bucketlists'), { peer: NESTJS, scenario: 'list-bucketlists' });
  t.same(
    PEERS.map((peer) => peer.name),
    ['platformatic', 'nestjs'],
  );
  for (const peer of PEERS) {
    for (const label of Object.values(peer.labels)) t.notOk(Object.values(LABELS).includes(label), label);
  }
});

t.test('a peer is installed again only when its lock changed', async (t) => {
  const lock = '{"lockfileVersion": 3}';
  t.match(lockStamp(lock), /^[0-9a-f]{64}$/);
  t.equal(needsInstall(lock, undefined), true, 'never installed');
  t.equal(needsInstall(lock, `${lockStamp(lock)}\n`), false, 'installed from this lock');
  t.equal(needsInstall(lock, lockStamp('{}')), true, 'installed from another lock');
});

t.test('the checks ask for the first GET with its owner, another user and no token, and the first page', async (t) => {
  const checks = peerCheckRequests(PLATFORMATIC, { fixture, tokens });
  t.same(checks.own, { method: 'GET', path: `/bucketlists/10?${FIELDS}`, token: 'token-1' });
  t.same(checks.foreign, { method: 'GET', path: `/bucketlists/10?${FIELDS}`, token: 'token-2' });
  t.same(checks.anonymous, { method: 'GET', path: `/bucketlists/10?${FIELDS}` });
  t.match(checks.page, { path: /^\/bucketlists\?limit=20&offset=0&/, token: 'token-1' });
  t.same(checks.expected, { id: 10, ownerIds: [10, 11] });
  const alone = { ...fixture, users: [{ id: 1, email: 'a@example.com' }] };
  t.throws(() => peerCheckRequests(PLATFORMATIC, { fixture: alone, tokens }), /need two users/);
});

const row = (id: number) => ({
  id,
  name: 'n',
  description: null,
  itemCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const goodAnswers = (): PeerAnswers => ({
  own: { status: 200, totalHeader: null, body: row(10) },
  foreign: { status: 404, totalHeader: null, body: { statusCode: 404 } },
  anonymous: { status: 401, totalHeader: null, body: { statusCode: 401 } },
  page: { status: 200, totalHeader: '2', body: [row(11), row(10)] },
});
const expected = { id: 10, ownerIds: [10, 11] };

t.test("Platformatic's answers pass when they are the API's", async (t) => {
  t.same(PLATFORMATIC.problems(goodAnswers(), expected), []);
});

t.test("every way Platformatic's answers could differ from the API's is named", async (t) => {
  const problems = (change: (answers: PeerAnswers) => void) => {
    const answers = goodAnswers();
    change(answers);
    return PLATFORMATIC.problems(answers, expected);
  };
  t.match(
    problems((a) => (a.own = { status: 404, totalHeader: null, body: 'Not Found' })),
    [/GET with the owner's token: 404, not bucketlist 10/],
  );
  t.match(
    problems((a) => (a.own.body = { ...row(10), ownerId: 1 })),
    [/GET answered the fields id,name,description,itemCount,createdAt,updatedAt,ownerId/],
  );
  t.match(
    problems((a) => (a.foreign.status = 200)),
    [/another user's token: 200, not 404/],
  );
  t.match(
    problems((a) => (a.anonymous.status = 200)),
    [/without a token: 200, not 401/],
  );
  t.match(
    problems((a) => (a.page.body = [row(20), row(11)])),
    [/list page: 200 with ids 20,11, not the owner's 11,10/],
  );
  t.match(
    problems((a) => (a.page = { status: 500, totalHeader: null, body: { error: 'x' } })),
    [/list page: 500 with ids , not/, /X-Total-Count undefined, not 2/],
  );
  t.match(
    problems((a) => (a.page.totalHeader = '3')),
    [/X-Total-Count 3, not 2/],
  );
});

t.test("the NestJS peer: a small config, the API's sub, the API's own requests, built before it runs", async (t) => {
  const input = { connectionString: 'postgres://h/db', jwtSecret: 'secret', logLevel: 'info', poolSize: 10 };
  t.same(NESTJS.config(input), { connectionString: 'postgres://h/db', jwtSecret: 'secret', poolSize: 10 });
  t.same(NESTJS.claims(7), { sub: '7' });
  for (const scenario of ['get-bucketlist', 'list-bucketlists'] as const) {
    t.same(
      NESTJS.requests(scenario, { fixture, tokens }),
      scenarioRequests(scenario, { fixture, tokens, password: '' }),
    );
  }
  t.match(NESTJS, { entry: 'dist/main.js', readyPath: '/healthz', build: 'build' });
  t.notOk(PLATFORMATIC.build, 'Platformatic runs its JavaScript as installed');
  const checks = peerCheckRequests(NESTJS, { fixture, tokens });
  t.same(checks.foreign, { method: 'GET', path: '/v1/bucketlists/10', token: 'token-2' });
  t.same(checks.expected, { id: 10, ownerIds: [10, 11] });
});

const apiRow = (id: number) => ({
  id,
  name: 'n',
  description: null,
  item_count: 0,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});
const nestAnswers = (): PeerAnswers => ({
  own: { status: 200, totalHeader: null, body: apiRow(10) },
  foreign: { status: 404, totalHeader: null, body: { statusCode: 404 } },
  anonymous: { status: 401, totalHeader: null, body: { statusCode: 401 } },
  page: { status: 200, totalHeader: null, body: { items: [apiRow(11), apiRow(10)], page: 1, page_size: 20, total: 2 } },
});

t.test("the NestJS peer's answers are checked against the API's fields, rows and total", async (t) => {
  t.same([...API_BUCKETLIST_FIELDS], ['id', 'name', 'description', 'item_count', 'created_at', 'updated_at']);
  t.same(NESTJS.problems(nestAnswers(), expected), []);
  const problems = (change: (answers: PeerAnswers) => void) => {
    const answers = nestAnswers();
    change(answers);
    return NESTJS.problems(answers, expected);
  };
  t.match(
    problems((a) => (a.own.body = row(10))),
    [/GET answered the fields id,name,description,itemCount/],
  );
  t.match(
    problems((a) => (a.page.body = { items: [apiRow(11), apiRow(10)], total: 5 })),
    [/list page: total 5, not 2/],
  );
  t.match(
    problems((a) => (a.page = { status: 401, totalHeader: null, body: [apiRow(11)] })),
    [/list page: 401 with ids , not the owner's 11,10/, /list page: total undefined, not 2/],
  );
  t.match(
    problems((a) => (a.page.body = { items: 'none' })),
    [/with ids , not/, /total undefined/],
  );
});
