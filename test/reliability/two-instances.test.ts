/**
 * Two instances of the API on one database behave as one (DESIGN.md: stateless processes). With
 * TEST_DATABASE_URL, two apps built from DATABASE_URL on one fresh PostgreSQL database (started
 * together, so their migrations race under the advisory lock); without it, two apps on one PGlite
 * handle. Mixed traffic from several users, alternating instances, must show: a logout on one
 * instance revokes the session on the other at the very next request; concurrent If-Match writes
 * across both instances have exactly one winner; counts add up on both; and a deactivation or an
 * un-sharing on one instance holds on the other at the very next request.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import postgres from 'postgres';
import t from 'tap';
import { type App, buildApp } from '../../src/app.js';
import { watchConformance } from '../conformance.js';
import { newUser, testConfig } from '../helper.js';
import { openTestDatabase } from '../setup/databases.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;
const env = { AUTH_RATE_LIMIT_MAX: '100000' };

async function twoInstances(): Promise<[App, App]> {
  if (serverUrl) {
    const name = `bucketlist_two_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    // Both start at once on an empty database: their migrations must not race (advisory lock).
    const apps = await Promise.all(
      [0, 1].map(() => buildApp(testConfig({ ...env, DATABASE_URL: url.toString() }), { logger: false })),
    );
    t.teardown(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    });
    return apps as [App, App];
  }
  const database = await openTestDatabase();
  const apps = await Promise.all([0, 1].map(() => buildApp(testConfig(env), { database, logger: false })));
  t.teardown(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database.close();
  });
  return apps as [App, App];
}

const [first, second] = await twoInstances();
for (const app of [first, second]) {
  watchConformance(app, t);
  await app.ready();
}
const instances = [first, second] as const;
t.comment(`two instances on ${serverUrl ? 'one PostgreSQL database (postgres.js pools)' : 'one PGlite handle'}`);

const isShed = (response: LightMyRequestResponse) => response.statusCode === 503 && /overloaded/i.test(response.body);

/** A request to one instance; one shed by load shedding (never processed) is sent again. */
async function send(app: App, options: InjectOptions): Promise<LightMyRequestResponse> {
  for (let attempt = 0; ; attempt++) {
    const response = await app.inject(options);
    if (!isShed(response) || attempt >= 20) return response;
    await sleep(250);
  }
}

async function signUp(via: App, loginVia: App = via) {
  const user = newUser();
  const registered = await send(via, { method: 'POST', url: '/v1/auth/register', payload: user });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  return { ...user, id: (registered.json() as { id: number }).id, session: await login(loginVia, user) };
}

async function login(via: App, user: { email: string; password: string }) {
  const response = await send(via, {
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: user.password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
  const tokens = response.json() as { access_token: string; refresh_token: string };
  return { ...tokens, headers: { authorization: `Bearer ${tokens.access_token}` } };
}

t.test('a logout on one instance revokes the session on the other at the next request', async (t) => {
  const user = await signUp(first);
  const other = await login(second, user); // another session of the same user
  t.equal(
    (await send(second, { method: 'GET', url: '/v1/users/me', headers: user.session.headers })).statusCode,
    200,
    'the token works on the second instance',
  );

  const logout = await send(first, { method: 'POST', url: '/v1/auth/logout', headers: user.session.headers });
  t.equal(logout.statusCode, 204, 'logged out on the first instance');

  const me = await send(second, { method: 'GET', url: '/v1/users/me', headers: user.session.headers });
  t.equal(me.statusCode, 401, 'the very next request on the second instance is 401');
  t.equal(me.json().code, 'unauthorized');
  const write = await send(second, {
    method: 'POST',
    url: '/v1/bucketlists',
    headers: user.session.headers,
    payload: { name: 'after logout' },
  });
  t.equal(write.statusCode, 401, 'and so is a write');
  const refresh = await send(second, {
    method: 'POST',
    url: '/v1/auth/refresh',
    payload: { refresh_token: user.session.refresh_token },
  });
  t.equal(refresh.statusCode, 401, "the session's refresh token is refused on the second instance too");
  for (const app of instances) {
    t.equal(
      (await send(app, { method: 'GET', url: '/v1/users/me', headers: other.headers })).statusCode,
      200,
      "the user's other session stays valid",
    );
  }
});

t.test(
  'refresh-token rotation holds across instances: a rotated token replayed on the other revokes the session',
  async (t) => {
    const user = await signUp(first);
    const rotated = await send(first, {
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refresh_token: user.session.refresh_token },
    });
    t.equal(rotated.statusCode, 200, 'rotated on the first instance');
    const next = rotated.json() as { access_token: string; refresh_token: string };
    const replay = await send(second, {
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refresh_token: user.session.refresh_token },
    });
    t.equal(replay.statusCode, 401, 'the old refresh token replayed on the second instance is 401');
    const successor = await send(first, {
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refresh_token: next.refresh_token },
    });
    t.equal(successor.statusCode, 401, 'and the reuse revoked the whole session, on the first instance too');
    const me = await send(first, {
      method: 'GET',
      url: '/v1/users/me',
      headers: { authorization: `Bearer ${next.access_token}` },
    });
    t.equal(me.statusCode, 401, "the session's access token is revoked as well");
  },
);

t.test('a deactivation on one instance ends every session of the user on the other at the next request', async (t) => {
  const admin = await signUp(first);
  await first.repositories.users.promote(admin.email);
  const user = await signUp(second);
  const sessions = [user.session, await login(first, user), await login(second, user)];
  const bucketlist = await send(second, {
    method: 'POST',
    url: '/v1/bucketlists',
    headers: user.session.headers,
    payload: { name: 'before deactivation' },
  });
  const url = `/v1/bucketlists/${(bucketlist.json() as { id: number }).id}`;
  // Logins racing with the deactivation, on both instances: whichever wins, none may outlive it.
  const [deactivated, ...racing] = await Promise.all([
    send(first, { method: 'POST', url: `/v1/admin/users/${user.id}/deactivate`, headers: admin.session.headers }),
    ...[0, 1, 2, 3].map((index) =>
      send(instances[index % 2] as App, {
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: user.email, password: user.password },
      }),
    ),
  ]);
  t.equal(deactivated?.statusCode, 200, 'deactivated on the first instance');
  const raced = racing
    .filter((response) => response.statusCode === 200)
    .map((response) => ({ headers: { authorization: `Bearer ${response.json().access_token}` } }));
  t.ok(
    racing.every((response) => [200, 401].includes(response.statusCode)),
    'each racing login is 200 or 401',
  );
  for (const session of [...sessions, ...raced]) {
    for (const app of instances) {
      const read = await send(app, { method: 'GET', url, headers: session.headers });
      t.equal(read.statusCode, 401, 'the next read on either instance is 401');
      const write = await send(app, {
        method: 'POST',
        url: `${url}/items`,
        headers: session.headers,
        payload: { name: 'x' },
      });
      t.equal(write.statusCode, 401, 'and so is a write');
    }
  }
  for (const session of sessions) {
    const refresh = await send(second, {
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    t.equal(refresh.statusCode, 401, 'refresh is refused on the other instance');
  }
  const again = await send(second, {
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: user.email, password: user.password },
  });
  t.equal(again.statusCode, 401, 'and so is a new login');
});

t.test('un-sharing on one instance takes the access away on the other at the next request', async (t) => {
  const owner = await signUp(first);
  const editor = await signUp(second);
  const created = await send(first, {
    method: 'POST',
    url: '/v1/bucketlists',
    headers: owner.session.headers,
    payload: { name: 'shared' },
  });
  const url = `/v1/bucketlists/${(created.json() as { id: number }).id}`;
  const shared = await send(first, {
    method: 'POST',
    url: `${url}/members`,
    headers: owner.session.headers,
    payload: { email: editor.email, role: 'editor' },
  });
  t.equal(shared.statusCode, 201);
  const write = await send(second, {
    method: 'PATCH',
    url,
    headers: editor.session.headers,
    payload: { name: 'by editor' },
  });
  t.equal(write.statusCode, 200, 'the editor writes through the second instance');
  const removed = await send(first, {
    method: 'DELETE',
    url: `${url}/members/${editor.id}`,
    headers: owner.session.headers,
  });
  t.equal(removed.statusCode, 204, 'un-shared on the first instance');
  for (const app of instances) {
    t.equal((await send(app, { method: 'GET', url, headers: editor.session.headers })).statusCode, 404);
    const patch = await send(app, { method: 'PATCH', url, headers: editor.session.headers, payload: { name: 'late' } });
    t.equal(patch.statusCode, 404, 'a write is refused as for a missing bucketlist');
  }
  t.equal((await send(second, { method: 'GET', url, headers: owner.session.headers })).json().name, 'by editor');
});

/** Ten concurrent writes with one If-Match tag, split across the instances. */
async function race(url: string, headers: Record<string, string>, make: (index: number) => InjectOptions) {
  const current = await send(first, { method: 'GET', url, headers });
  const etag = current.headers.etag as string;
  const responses = await Promise.all(
    Array.from({ length: 10 }, (_unused, index) =>
      send(instances[index % 2] as App, { ...make(index), url, headers: { ...headers, 'if-match': etag } }),
    ),
  );
  return { etag, statuses: responses.map((response) => response.statusCode), responses };
}

t.test('If-Match races across instances have exactly one winner', async (t) => {
  const user = await signUp(first, second);
  const headers = user.session.headers;
  const created = await send(second, {
    method: 'POST',
    url: '/v1/bucketlists',
    headers,
    payload: { name: 'contended' },
  });
  const id = (created.json() as { id: number }).id;
  const url = `/v1/bucketlists/${id}`;

  const patch = await race(url, headers, (index) => ({ method: 'PATCH', payload: { name: `writer ${index}` } }));
  t.equal(
    patch.statuses.filter((status) => status === 200).length,
    1,
    `PATCH: exactly one 200 (${patch.statuses.join(' ')})`,
  );
  t.equal(patch.statuses.filter((status) => status === 412).length, 9, 'PATCH: the nine others 412');
  const winner = patch.responses.find((response) => response.statusCode === 200)?.json() as { name: string };
  for (const app of instances) {
    const now = await send(app, { method: 'GET', url, headers });
    t.equal(now.json().name, winner.name, "both instances show the winner's write");
    t.not(now.headers.etag, patch.etag, 'and a new ETag');
  }

  const put = await race(url, headers, (index) => ({
    method: 'PUT',
    payload: { name: `replacer ${index}`, description: null },
  }));
  t.equal(
    put.statuses.filter((status) => status === 200).length,
    1,
    `PUT: exactly one 200 (${put.statuses.join(' ')})`,
  );
  t.equal(put.statuses.filter((status) => status === 412).length, 9, 'PUT: the nine others 412');

  const item = await send(first, { method: 'POST', url: `${url}/items`, headers, payload: { name: 'contended item' } });
  const itemUrl = `${url}/items/${(item.json() as { id: number }).id}`;
  const itemPatch = await race(itemUrl, headers, (index) => ({ method: 'PATCH', payload: { done: index % 2 === 0 } }));
  t.equal(
    itemPatch.statuses.filter((status) => status === 200).length,
    1,
    `item PATCH: exactly one 200 (${itemPatch.statuses.join(' ')})`,
  );

  const remove = await race(itemUrl, headers, () => ({ method: 'DELETE' }));
  t.equal(
    remove.statuses.filter((status) => status === 204).length,
    1,
    `item DELETE: exactly one 204 (${remove.statuses.join(' ')})`,
  );
  t.same(
    remove.statuses.filter((status) => status !== 204 && status !== 412 && status !== 404),
    [],
    'the other DELETEs are 412 (or 404 once it is gone)',
  );
});

t.test('counts add up on both instances under mixed traffic from several users', async (t) => {
  const users = await Promise.all(
    [0, 1, 2].map((index) => signUp(instances[index % 2] as App, instances[(index + 1) % 2] as App)),
  );
  const created = new Map<number, { owner: number; items: Set<number> }>();
  let itemCreates = 0;
  let itemDeletes = 0;

  // Each user: two bucketlists, then rounds of concurrent item creates and deletes, alternating instances.
  await Promise.all(
    users.map(async (user, userIndex) => {
      for (let b = 0; b < 2; b++) {
        const response = await send(instances[(userIndex + b) % 2] as App, {
          method: 'POST',
          url: '/v1/bucketlists',
          headers: user.session.headers,
          payload: { name: `user ${userIndex} list ${b}` },
        });
        created.set((response.json() as { id: number }).id, { owner: userIndex, items: new Set() });
      }
    }),
  );
  for (let round = 0; round < 4; round++) {
    await Promise.all(
      [...created].flatMap(([bucketlistId, entry]) => {
        const headers = (users[entry.owner] as (typeof users)[number]).session.headers;
        const creates = Array.from({ length: 4 }, async (_unused, index) => {
          const response = await send(instances[(round + index) % 2] as App, {
            method: 'POST',
            url: `/v1/bucketlists/${bucketlistId}/items`,
            headers,
            payload: { name: `round ${round} item ${index}`, done: index % 2 === 0 },
          });
          if (response.statusCode === 201) {
            itemCreates += 1;
            entry.items.add((response.json() as { id: number }).id);
          }
        });
        const victim = [...entry.items][0];
        const deletes =
          victim === undefined
            ? []
            : [
                (async () => {
                  entry.items.delete(victim);
                  const response = await send(instances[(round + 1) % 2] as App, {
                    method: 'DELETE',
                    url: `/v1/bucketlists/${bucketlistId}/items/${victim}`,
                    headers,
                  });
                  if (response.statusCode === 204) itemDeletes += 1;
                  else entry.items.add(victim);
                })(),
              ];
        return [...creates, ...deletes];
      }),
    );
  }
  t.ok(itemCreates > 0 && itemDeletes > 0, `${itemCreates} items created (201) and ${itemDeletes} deleted (204)`);

  let itemCountSum = 0;
  for (const [bucketlistId, entry] of created) {
    const headers = (users[entry.owner] as (typeof users)[number]).session.headers;
    const views = await Promise.all(
      instances.map((app) => send(app, { method: 'GET', url: `/v1/bucketlists/${bucketlistId}`, headers })),
    );
    const lists = await Promise.all(
      instances.map((app) =>
        send(app, { method: 'GET', url: `/v1/bucketlists/${bucketlistId}/items?page_size=100`, headers }),
      ),
    );
    const counts = views.map((view) => (view.json() as { item_count: number }).item_count);
    const totals = lists.map((list) => (list.json() as { total: number }).total);
    t.same(
      counts,
      [entry.items.size, entry.items.size],
      `bucketlist ${bucketlistId}: item_count is ${entry.items.size} on both instances`,
    );
    t.same(
      totals,
      [entry.items.size, entry.items.size],
      `bucketlist ${bucketlistId}: the item list total agrees on both`,
    );
    t.same(
      ((lists[0]?.json() ?? { items: [] }) as { items: Array<{ id: number }> }).items
        .map((item) => item.id)
        .sort((a, b) => a - b),
      [...entry.items].sort((a, b) => a - b),
      'and lists exactly the items that were acknowledged and not deleted',
    );
    t.equal(views[0]?.headers.etag, views[1]?.headers.etag, 'both instances send the same ETag');
    itemCountSum += counts[0] ?? 0;
  }
  t.equal(
    itemCountSum,
    itemCreates - itemDeletes,
    `the item counts add up: ${itemCreates} created − ${itemDeletes} deleted`,
  );

  for (const [userIndex, user] of users.entries()) {
    const totals = await Promise.all(
      instances.map(
        async (app) =>
          (await send(app, { method: 'GET', url: '/v1/bucketlists', headers: user.session.headers })).json().total,
      ),
    );
    t.same(totals, [2, 2], `user ${userIndex}: the bucketlist total is 2 on both instances`);
  }
});
