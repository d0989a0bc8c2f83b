/**
 * The embedded database keeps every acknowledged write when its process dies: the real server on
 * a PGlite data folder, under a write load from several clients, is killed with SIGKILL at a
 * random moment, restarted on the same folder, and must start and show every write it answered
 * 201 to, round after round on the same folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { type RunningServer, sourceServerArgs, startServer } from '../production/server-process.js';

// Six server starts and five load phases, on a busy machine.
t.setTimeout(240_000);

const ROUNDS = 5;
const CLIENTS = 6;

interface Written {
  bucketlists: Map<number, string>;
  items: Map<number, string>;
}

async function call<T>(url: string, init: RequestInit & { authorization?: string } = {}) {
  const { authorization, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    headers: {
      'content-type': 'application/json',
      ...(authorization ? { authorization } : {}),
    },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Every row of a paginated list, following its pages. */
async function everyRow(url: string, authorization: string): Promise<Map<number, string>> {
  const rows = new Map<number, string>();
  for (let page = 1; ; page++) {
    const { status, body } = await call<{ items: { id: number; name: string }[]; total: number }>(
      `${url}${url.includes('?') ? '&' : '?'}page_size=100&page=${page}&sort=id`,
      { authorization },
    );
    if (status !== 200) throw new Error(`list answered ${status}`);
    for (const row of body.items) rows.set(row.id, row.name);
    if (page * 100 >= body.total) return rows;
  }
}

/**
 * Clients writing until the process dies: each alternates a new bucketlist and a new item, and
 * records a write only once its 201 and body have fully arrived.
 */
function writeLoad(server: RunningServer, authorization: string, target: number, round: number, written: Written) {
  let stopped = false;
  let acknowledged = 0;
  const client = async (index: number) => {
    for (let n = 0; !stopped; n++) {
      const name = `round ${round} client ${index} write ${n}`;
      const toItems = n % 2 === 1;
      try {
        const { status, body } = await call<{ id: number }>(
          toItems ? `${server.url}/v1/bucketlists/${target}/items` : `${server.url}/v1/bucketlists`,
          { method: 'POST', authorization, body: JSON.stringify({ name }) },
        );
        if (status !== 201) throw new Error(`a write answered ${status}`);
        (toItems ? written.items : written.bucketlists).set(body.id, name);
        acknowledged += 1;
      } catch (error) {
        // Once the process is gone a write fails; before that, a failure is the test's failure.
        if (!stopped && !server.child.killed) throw error;
        return;
      }
    }
  };
  const clients = Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
  return {
    acknowledged: () => acknowledged,
    stop: async () => {
      stopped = true;
      await clients;
    },
  };
}

t.test(
  'SIGKILL under a write load, round after round: the server restarts and every acknowledged write is there',
  { skip: process.env.TEST_DATABASE_URL ? 'the embedded database is tested in the embedded run' : false },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-crash-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir, AUTH_RATE_LIMIT_MAX: '1000' };
    let server = await startServer(t, { args: sourceServerArgs, env });

    const credentials = { email: 'crash@example.com', password: 'correct horse battery staple' };
    t.equal(
      (
        await call(`${server.url}/v1/auth/register`, {
          method: 'POST',
          body: JSON.stringify({ ...credentials, name: 'Crash' }),
        })
      ).status,
      201,
    );
    const login = await call<{ access_token: string }>(`${server.url}/v1/auth/login`, {
      method: 'POST',
      body: JSON.stringify(credentials),
    });
    const authorization = `Bearer ${login.body.access_token}`;
    const target = (
      await call<{ id: number }>(`${server.url}/v1/bucketlists`, {
        method: 'POST',
        authorization,
        body: JSON.stringify({ name: 'items target' }),
      })
    ).body.id;
    const written: Written = { bucketlists: new Map([[target, 'items target']]), items: new Map() };

    for (let round = 1; round <= ROUNDS; round++) {
      const load = writeLoad(server, authorization, target, round, written);
      // A random moment, but after some writes of this round were acknowledged.
      const delay = 200 + Math.floor(Math.random() * 1300);
      await sleep(delay);
      while (load.acknowledged() < 10) await sleep(10);
      server.child.kill('SIGKILL');
      t.equal(await server.exited, 'SIGKILL', `round ${round}: killed ${delay} ms into the load`);
      await load.stop();
      t.comment(`round ${round}: ${load.acknowledged()} writes acknowledged before the kill`);

      server = await startServer(t, { args: sourceServerArgs, env });
      const bucketlists = await everyRow(`${server.url}/v1/bucketlists`, authorization);
      const items = await everyRow(`${server.url}/v1/bucketlists/${target}/items`, authorization);
      const lostBucketlists = [...written.bucketlists].filter(([id, name]) => bucketlists.get(id) !== name);
      const lostItems = [...written.items].filter(([id, name]) => items.get(id) !== name);
      t.same(lostBucketlists, [], `round ${round}: all ${written.bucketlists.size} acknowledged bucketlists are there`);
      t.same(lostItems, [], `round ${round}: all ${written.items.size} acknowledged items are there`);
      const counted = await call<{ item_count: number }>(`${server.url}/v1/bucketlists/${target}`, { authorization });
      t.equal(counted.body.item_count, items.size, `round ${round}: item_count agrees with the items`);
    }
    server.child.kill('SIGTERM');
    t.equal(await server.exited, 0, 'the last server stops cleanly');
  },
);
