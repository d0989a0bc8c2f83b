/**
 * Three API instances behind nginx, on PgBouncer in transaction mode, with Redis for the rate
 * limits: the recipe of deploy/README.md, asserted through the balancer as a client sees it.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { type Fleet, fleetMissing, startFleet } from './fleet.js';

const missing = await fleetMissing();
if (missing) {
  t.comment(`fleet test skipped: ${missing}`);
  t.pass('skipped', { skip: missing });
} else {
  const fleet = await startFleet(t, { instances: 3, env: { AUTH_RATE_LIMIT_MAX: '5' } });
  await fleetTests(fleet);
}

type Json = Record<string, unknown>;

async function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json };
}

/** How many requests an instance answered for the route and status, from its own /metrics. */
async function answered(url: string, route: string, status: number): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (entry) =>
        entry.startsWith('http_request_duration_seconds_count{') &&
        entry.includes(`route="${route}"`) &&
        entry.includes(`status_code="${status}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function fleetTests(fleet: Fleet) {
  let users = 0;
  const signUp = async () => {
    users += 1;
    const credentials = {
      email: `fleet${users}-${process.pid}@example.com`,
      password: 'correct horse battery',
      name: 'F',
    };
    // Each user from an address of its own: the fleet's auth limit is for the test below.
    const from = { 'x-forwarded-for': `198.51.100.${users}` };
    await call(fleet.url, 'POST', '/v1/auth/register', from, credentials);
    const { email, password } = credentials;
    const tokens = (await call(fleet.url, 'POST', '/v1/auth/login', from, { email, password })).body;
    return { authorization: `Bearer ${tokens.access_token as string}` };
  };

  t.test('the fleet runs through PgBouncer in transaction mode', async (t) => {
    const [mode] = await fleet.sql`select 1 as ok`;
    t.equal(mode?.ok, 1);
    const me = await call(fleet.url, 'GET', '/v1/users/me', await signUp());
    t.equal(me.status, 200);
    t.comment(
      `named prepared statements: ${fleet.preparedStatements ? 'on (PgBouncer 1.21+)' : 'off (PgBouncer before 1.21)'}`,
    );
  });

  t.test('the auth rate limit holds for the whole fleet, not per instance', async (t) => {
    const attempt = () =>
      call(
        fleet.url,
        'POST',
        '/v1/auth/login',
        { 'x-forwarded-for': '203.0.113.9' },
        {
          email: 'nobody@example.com',
          password: 'wrong password',
        },
      );
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt()).status);
    t.same(statuses, [401, 401, 401, 401, 401, 429, 429]);
    const perInstance = await Promise.all(fleet.apis.map((api) => answered(api.url, '/v1/auth/login', 401)));
    t.ok(perInstance.filter((count) => count > 0).length >= 2, `the logins were spread: ${perInstance.join(', ')}`);
  });

  t.test('logout through one instance holds on every instance', async (t) => {
    const headers = await signUp();
    for (const api of fleet.apis) t.equal((await call(api.url, 'GET', '/v1/users/me', headers)).status, 200);
    t.equal((await call(fleet.url, 'POST', '/v1/auth/logout', headers)).status, 204);
    for (const api of fleet.apis) t.equal((await call(api.url, 'GET', '/v1/users/me', headers)).status, 401, api.url);
  });

  t.test('an Idempotency-Key repeated across instances runs once', async (t) => {
    const headers = { ...(await signUp()), 'idempotency-key': randomUUID() };
    const body = { name: 'Once' };
    const first = await call(fleet.apis[0]?.url as string, 'POST', '/v1/bucketlists', headers, body);
    t.equal(first.status, 201);
    const concurrent = await Promise.all(
      fleet.apis.flatMap((api) => [api, api]).map((api) => call(api.url, 'POST', '/v1/bucketlists', headers, body)),
    );
    for (const response of concurrent) {
      t.equal(response.status, 201);
      t.equal(response.headers.get('idempotent-replayed'), 'true');
      t.same(response.body, first.body);
    }
    const list = await call(fleet.url, 'GET', '/v1/bucketlists', headers);
    t.equal(list.body.total, 1);
  });

  t.test('concurrent requests with one new key across instances: one runs', async (t) => {
    const headers = { ...(await signUp()), 'idempotency-key': randomUUID() };
    const responses = await Promise.all(
      fleet.apis
        .flatMap((api) => [api, api])
        .map((api) => call(api.url, 'POST', '/v1/bucketlists', headers, { name: 'Race' })),
    );
    const ran = responses.filter((response) => response.status === 201 && !response.headers.get('idempotent-replayed'));
    t.equal(ran.length, 1);
    for (const response of responses) {
      if (response !== ran[0]) t.ok(response.status === 409 || response.headers.get('idempotent-replayed') === 'true');
    }
    t.equal((await call(fleet.url, 'GET', '/v1/bucketlists', headers)).body.total, 1);
  });

  t.test('If-Match races across the fleet have one winner', async (t) => {
    const headers = await signUp();
    const created = await call(fleet.url, 'POST', '/v1/bucketlists', headers, { name: 'Contended' });
    const etag = created.headers.get('etag') as string;
    const responses = await Promise.all(
      Array.from({ length: 9 }, (_, index) =>
        call(
          fleet.url,
          'PATCH',
          `/v1/bucketlists/${created.body.id as number}`,
          { ...headers, 'if-match': etag },
          {
            name: `Writer ${index}`,
          },
        ),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    t.same(statuses, [200, 412, 412, 412, 412, 412, 412, 412, 412]);
    const winner = responses.find((response) => response.status === 200);
    const stored = await call(fleet.url, 'GET', `/v1/bucketlists/${created.body.id as number}`, headers);
    t.equal(stored.body.name, winner?.body.name);
  });

  // Last: it leaves the fleet one instance short.
  t.test('killing an instance under load loses no acknowledged write; reads are retried by nginx', async (t) => {
    const headers = await signUp();
    const acknowledged = new Map<number, string>();
    const failedReads: number[] = [];
    let retriedPosts = 0;
    // Writes never acknowledged: one that committed on the dying instance before its answer was
    // stored keeps its key claimed (409 on retries) until the claim is abandoned.
    let unresolved = 0;
    let running = true;
    const writer = async (worker: number) => {
      for (let n = 0; running; n++) {
        const name = `w${worker}-${n}`;
        const key = { ...headers, 'idempotency-key': randomUUID() };
        // A POST that reached the dying instance gets a 502 (nginx does not resend it); the
        // client retries it with the same key, and it runs at most once.
        for (let attempt = 0; attempt < 5; attempt++) {
          const response = await call(fleet.url, 'POST', '/v1/bucketlists', key, { name }).catch(() => undefined);
          if (response?.status === 201) {
            acknowledged.set(response.body.id as number, name);
            break;
          }
          retriedPosts += 1;
          if (attempt === 4) unresolved += 1;
        }
      }
    };
    const reader = async () => {
      while (running) {
        const response = await call(fleet.url, 'GET', '/v1/bucketlists?page_size=5', headers);
        if (response.status !== 200) failedReads.push(response.status);
      }
    };
    const load = [0, 1, 2, 3].map(writer).concat([reader(), reader()]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const victim = fleet.apis[1]?.process;
    victim?.child.kill('SIGKILL');
    await victim?.exited;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(load);

    t.ok(acknowledged.size > 20, `${acknowledged.size} writes acknowledged, ${retriedPosts} retried`);
    t.same(failedReads, [], 'every read answered 200');
    const rows = await fleet.sql<{ id: number; name: string }[]>`
      select b.id, b.name from bucketlists b where b.name like 'w%-%' and b.owner_id = (
        select owner_id from bucketlists where id = ${[...acknowledged.keys()][0] as number})`;
    const stored = new Map(rows.map((row) => [row.id, row.name]));
    for (const [id, name] of acknowledged) {
      if (stored.get(id) !== name) t.fail(`acknowledged write ${id} (${name}) is not stored`);
    }
    t.equal(new Set(stored.values()).size, stored.size, 'no name was written twice');
    t.ok(stored.size <= acknowledged.size + unresolved, `${stored.size - acknowledged.size} written without an answer`);
  });
}
