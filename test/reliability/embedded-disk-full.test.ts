/**
 * A full disk under the embedded database: the real server on a data folder in a small tmpfs.
 * Once the file system is full, writes answer 503 problems while reads go on; when space returns
 * writes succeed again; and nothing that was acknowledged is lost, also after a restart. Needs
 * permission to mount a tmpfs (root); skips with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sourceServerArgs, startServer } from '../production/server-process.js';

// Two server starts and a disk to fill, on a busy machine.
t.setTimeout(180_000);

// A migrated data folder takes about 40 MB (16 of them the first WAL segment).
const TMPFS_SIZE = '64m';

/** Mounts a tmpfs on a fresh folder; the reason it could not, or the mount point. */
function mountTmpfs(): { mountPoint?: string; skip: string | false } {
  if (process.env.TEST_DATABASE_URL) return { skip: 'the embedded database is tested in the embedded run' };
  if (process.platform !== 'linux') return { skip: `tmpfs needs Linux, not ${process.platform}` };
  const mountPoint = mkdtempSync(join(tmpdir(), 'bucketlist-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mountPoint], {
    encoding: 'utf8',
  });
  if (mounted.status === 0) return { mountPoint, skip: false };
  rmSync(mountPoint, { recursive: true, force: true });
  const why = (mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim();
  return { skip: `cannot mount a tmpfs here (${why}); the full-disk test needs root or CAP_SYS_ADMIN` };
}

const { mountPoint, skip } = mountTmpfs();
if (skip) t.comment(`skipped: ${skip}`);
if (mountPoint) {
  t.teardown(() => {
    spawnSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
}

/** Fills the file system that holds `path` with one file, to the last byte it accepts. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T>(url: string, authorization: string, init: RequestInit = {}): Promise<Answer<T>> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', authorization },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

t.test(
  'a full disk: writes answer 503, reads go on, space returns, nothing acknowledged is lost',
  { skip },
  async (t) => {
    const dataDir = join(mountPoint ?? '', 'data');
    const env = { DATA_DIR: dataDir, AUTH_RATE_LIMIT_MAX: '1000' };
    let server = await startServer(t, { args: sourceServerArgs, env });
    const credentials = { email: 'full@example.com', password: 'correct horse battery staple' };
    await call(`${server.url}/v1/auth/register`, '', {
      method: 'POST',
      body: JSON.stringify({ ...credentials, name: 'Full' }),
    });
    const login = await call<{ access_token: string }>(`${server.url}/v1/auth/login`, '', {
      method: 'POST',
      body: JSON.stringify(credentials),
    });
    const authorization = `Bearer ${login.body.access_token}`;
    const acknowledged = new Map<number, string>();
    // Descriptions near their limit, so that the table soon needs a new page and the disk to grow.
    const description = 'd'.repeat(2000);
    const create = (name: string) =>
      call<{ id: number }>(`${server.url}/v1/bucketlists`, authorization, {
        method: 'POST',
        body: JSON.stringify({ name, description }),
      });
    for (let n = 0; n < 5; n++) {
      const { status, body } = await create(`before ${n}`);
      t.equal(status, 201);
      acknowledged.set(body.id, `before ${n}`);
    }

    const filler = join(mountPoint ?? '', 'filler');
    fillDisk(filler);
    let refused: Answer<{ status: number; code: string; detail: string }> | undefined;
    for (let n = 0; n < 2000 && !refused; n++) {
      const answer = await create(`while full ${n}`);
      if (answer.status === 201) acknowledged.set(answer.body.id, `while full ${n}`);
      else refused = answer as unknown as typeof refused;
    }
    t.ok(refused, `writes fail once the disk is full (${acknowledged.size} acknowledged before)`);
    t.equal(refused?.status, 503, 'with a 503');
    t.equal(refused?.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.equal(refused?.headers.get('retry-after'), '60');
    t.match(refused?.body, { status: 503, code: 'service_unavailable', detail: /no storage space/ });
    t.equal((await create('still full')).status, 503, 'and go on failing while it is');

    const first = [...acknowledged.keys()][0];
    t.equal((await call(`${server.url}/v1/bucketlists/${first}`, authorization)).status, 200, 'a read goes on');
    const page = await call<{ total: number }>(`${server.url}/v1/bucketlists?page_size=100`, authorization);
    t.equal(page.status, 200, 'a list goes on');
    t.equal(page.body.total, acknowledged.size, 'and holds exactly the acknowledged writes');
    t.equal((await fetch(`${server.url}/readyz`)).status, 200, 'the server stays ready: reads work');

    rmSync(filler);
    const after = await create('after');
    t.equal(after.status, 201, 'writes succeed once space returns');
    acknowledged.set(after.body.id, 'after');

    server.child.kill('SIGTERM');
    t.equal(await server.exited, 0, 'the server stops cleanly');
    server = await startServer(t, { args: sourceServerArgs, env });
    const rows = new Map<number, string>();
    for (let pageNumber = 1; rows.size < acknowledged.size && pageNumber < 100; pageNumber++) {
      const { body } = await call<{ items: { id: number; name: string }[] }>(
        `${server.url}/v1/bucketlists?page_size=100&page=${pageNumber}`,
        authorization,
      );
      if (body.items.length === 0) break;
      for (const row of body.items) rows.set(row.id, row.name);
    }
    t.same(rows, acknowledged, 'after a restart every acknowledged write is there, and nothing else');
  },
);
