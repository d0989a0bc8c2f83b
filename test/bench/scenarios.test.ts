import t from 'tap';
import { parseOptions } from '../../bench/lib/options.js';
import {
  APP_SCENARIOS,
  commonWord,
  ITEM_BODY,
  interleaveByOwner,
  PATCH_BODY,
  scenarioRequests,
  sharedTarget,
  viewerShares,
} from '../../bench/lib/scenarios.js';
import { fixture, tokens } from './fixture.js';

const inputs = { fixture, tokens, password: 'secret-password' };

t.test('requests alternate between users', async (t) => {
  t.same(
    interleaveByOwner(fixture.bucketlists).map((row) => row.id),
    [10, 20, 11],
  );
});

t.test('the search term is the most frequent word of three or more letters', async (t) => {
  t.equal(commonWord(['Visit the Alhambra', 'See the lights', 'Eat ramen in 東京都', 'the the the']), 'the');
  t.equal(commonWord(['Zebra crossing', 'Apple pie']), 'apple');
  t.equal(commonWord(['Ünïcode wörds', 'ünïcode']), 'ünïcode');
  t.throws(() => commonWord(['a b', '12']), /no word/);
});

t.test('GET one bucketlist uses the token of each bucketlist’s owner', async (t) => {
  t.same(scenarioRequests('get-bucketlist', inputs), [
    { method: 'GET', path: '/v1/bucketlists/10', token: 'token-1' },
    { method: 'GET', path: '/v1/bucketlists/20', token: 'token-2' },
    { method: 'GET', path: '/v1/bucketlists/11', token: 'token-1' },
  ]);
});

t.test('a shared GET reads each user’s bucketlists with the next user’s token (its viewer)', async (t) => {
  t.same(viewerShares(fixture), [
    { bucketlistId: 10, ownerId: 1, viewerId: 2 },
    { bucketlistId: 11, ownerId: 1, viewerId: 2 },
    { bucketlistId: 20, ownerId: 2, viewerId: 1 },
  ]);
  t.same(scenarioRequests('get-shared-bucketlist', inputs), [
    { method: 'GET', path: '/v1/bucketlists/10', token: 'token-2' },
    { method: 'GET', path: '/v1/bucketlists/20', token: 'token-1' },
    { method: 'GET', path: '/v1/bucketlists/11', token: 'token-2' },
  ]);
});

t.test('shared POSTs all go into the first user’s first bucketlist, from the owner and every editor', async (t) => {
  t.same(sharedTarget(fixture), { bucketlistId: 10, ownerId: 1, editors: [{ id: 2, email: 'b@example.com' }] });
  t.same(scenarioRequests('post-item-shared', inputs), [
    { method: 'POST', path: '/v1/bucketlists/10/items', token: 'token-1', body: ITEM_BODY },
    { method: 'POST', path: '/v1/bucketlists/10/items', token: 'token-2', body: ITEM_BODY },
  ]);
  t.throws(() => sharedTarget({ ...fixture, bucketlists: [] }), /no bucketlist of its first user/);
});

t.test('list pages walk pages 1..n of page_size 20 for every user', async (t) => {
  const requests = scenarioRequests('list-bucketlists', { ...inputs, listPages: 2 });
  t.same(
    requests.map((request) => `${request.token} ${request.path}`),
    [
      'token-1 /v1/bucketlists?page=1&page_size=20',
      'token-2 /v1/bucketlists?page=1&page_size=20',
      'token-1 /v1/bucketlists?page=2&page_size=20',
      'token-2 /v1/bucketlists?page=2&page_size=20',
    ],
  );
  t.equal(scenarioRequests('list-bucketlists', inputs).length, 10);
});

t.test('the filtered item list asks for undone items matching the encoded word', async (t) => {
  const [first] = scenarioRequests('list-items', inputs);
  t.equal(first?.path, '/v1/bucketlists/10/items?done=false&q=caf%C3%A9%20au%20lait&page_size=20');
});

t.test('POST item sends a JSON body to each bucketlist', async (t) => {
  const requests = scenarioRequests('post-item', inputs);
  t.equal(requests.length, 3);
  t.same(requests[1], { method: 'POST', path: '/v1/bucketlists/20/items', token: 'token-2', body: ITEM_BODY });
});

t.test('PATCH carries the current ETag of each item and the id the script tracks it by', async (t) => {
  const etags = new Map([
    [100, '"100-3"'],
    [200, '"200-1"'],
  ]);
  t.same(scenarioRequests('patch-item', { ...inputs, etags })[1], {
    method: 'PATCH',
    path: '/v1/bucketlists/20/items/200',
    token: 'token-2',
    body: PATCH_BODY,
    etagKey: '200',
    etag: '"200-1"',
  });
  t.throws(() => scenarioRequests('patch-item', inputs), /no ETag for item 100/);
});

t.test('login posts each user’s email and the shared password, without a token', async (t) => {
  t.same(scenarioRequests('login', inputs)[0], {
    method: 'POST',
    path: '/v1/auth/login',
    body: '{"email":"a@example.com","password":"secret-password"}',
  });
});

t.test('a user without a token is an error, not a request that would 401', async (t) => {
  t.throws(() => scenarioRequests('get-bucketlist', { ...inputs, tokens: new Map() }), /no access token for user 1/);
});

t.test('the defaults: 3 rounds of 3 s warm-up and 10 s, 50 connections, PostgreSQL and every step', async (t) => {
  const options = parseOptions([]);
  t.match(options, {
    rounds: 3,
    warmupSeconds: 3,
    durationSeconds: 10,
    connections: 50,
    postgres: true,
    embedded: false,
    baselines: true,
    peers: true,
    explain: true,
    profile: true,
    cluster: true,
    fleet: true,
    pages: true,
    coldStart: true,
    workers: 2,
    seed: { users: 100, bucketlists: 100, items: 10 },
    benchUsers: 10,
    adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    databasePrefix: 'bucketlist_bench',
    ports: undefined,
    logLevel: 'info',
    appEnv: {},
    build: true,
    runtime: 'dist',
    loadGenerator: 'auto',
    keep: false,
    help: false,
  });
  t.same(options.scenarios, APP_SCENARIOS);
});

t.test('flags set every option', async (t) => {
  const options = parseOptions(
    [
      '--rounds=5 --warmup=0 --duration=15 --connections=8 --embedded --no-postgres --scenarios=login,get-bucketlist',
      '--no-baselines --no-peers --no-explain --no-profile --no-cluster --no-fleet --no-pages --no-cold-start --workers=4 --users=5 --bucketlists=2',
      '--items=3 --bench-users=5 --admin-url=postgres://x@h/db --database-prefix=peers_bench --ports=4200-4299',
      '--log-level=warn --app-env=A_B=1 --app-env=C=x=y',
      '--no-build --runtime=tsx --load-generator=autocannon --keep -h',
    ]
      .join(' ')
      .split(' '),
  );
  t.match(options, {
    rounds: 5,
    warmupSeconds: 0,
    durationSeconds: 15,
    connections: 8,
    postgres: false,
    embedded: true,
    scenarios: ['login', 'get-bucketlist'],
    baselines: false,
    peers: false,
    explain: false,
    profile: false,
    cluster: false,
    fleet: false,
    pages: false,
    coldStart: false,
    workers: 4,
    seed: { users: 5, bucketlists: 2, items: 3 },
    benchUsers: 5,
    adminUrl: 'postgres://x@h/db',
    databasePrefix: 'peers_bench',
    ports: { from: 4200, to: 4299 },
    logLevel: 'warn',
    appEnv: { A_B: '1', C: 'x=y' },
    build: false,
    runtime: 'tsx',
    loadGenerator: 'autocannon',
    keep: true,
    help: true,
  });
});

t.test('runs stay bounded and flags are checked', async (t) => {
  t.throws(() => parseOptions(['--duration', '16']), /--duration must be an integer from 1 to 15/);
  t.throws(() => parseOptions(['--warmup', '1.5']), /--warmup must be an integer/);
  t.throws(() => parseOptions(['--scenarios', 'get-bucketlist,delete-all']), /unknown scenario delete-all/);
  t.throws(() => parseOptions(['--runtime', 'bun']), /--runtime must be one of dist, tsx/);
  t.throws(() => parseOptions(['--app-env', 'lower=1']), /--app-env wants KEY=VALUE/);
  t.throws(() => parseOptions(['--no-postgres']), /nothing to measure/);
  t.throws(() => parseOptions(['--users', '5']), /--bench-users cannot exceed --users/);
  t.throws(() => parseOptions(['--unknown']), /Unknown option/);
  for (const ports of ['4200', '80-90', '4300-4200', '4200-70000', 'a-b']) {
    t.throws(() => parseOptions(['--ports', ports]), /--ports wants FROM-TO/, ports);
  }
  for (const prefix of ['Peers', '1peers', 'peers-bench', 'p'.repeat(32)]) {
    t.throws(() => parseOptions(['--database-prefix', prefix]), /--database-prefix wants/, prefix);
  }
});
