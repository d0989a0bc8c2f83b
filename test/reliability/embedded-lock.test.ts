/**
 * One process per embedded data folder: a second server started on a folder that a running one
 * holds refuses to start with a one-line error and leaves the folder as it was; the first keeps
 * serving, and once it has stopped (cleanly, or killed) the folder opens again.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LOCK_FILE } from '../../src/db/data-dir-lock.js';
import { TEST_SECRET } from '../helper.js';
import { sourceServerArgs, startServer } from '../production/server-process.js';

// Three server starts, on a busy machine.
t.setTimeout(180_000);

t.test(
  'a second server on the same data folder refuses to start, in one line, and the first goes on',
  { skip: process.env.TEST_DATABASE_URL ? 'the embedded database is tested in the embedded run' : false },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-lock-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir };
    const first = await startServer(t, { args: sourceServerArgs, env });
    const created = await fetch(`${first.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.com', password: 'correct horse battery', name: 'First' }),
    });
    t.equal(created.status, 201);
    t.equal(readFileSync(join(dataDir, LOCK_FILE), 'utf8'), `${first.child.pid}\n`, 'the lock names the first');

    const cwd = mkdtempSync(join(tmpdir(), 'bucketlist-cwd-'));
    t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
    const second = spawnSync(process.execPath, sourceServerArgs, {
      // A scratch working directory, as startServer's: no developer's .env is read.
      cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        PORT: '0',
        JWT_SECRET: TEST_SECRET,
        DATA_DIR: dataDir,
        _TAPJS_PROCESSINFO_COVERAGE_: '0',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.equal(second.status, 1, 'the second exits 1');
    t.equal(
      second.stderr,
      `bucketlist-api: DATA_DIR ${dataDir} is in use by another process (pid ${first.child.pid}); stop it or give this one another DATA_DIR\n`,
      'with one line that says why',
    );
    t.equal(second.stdout, '', 'and nothing else');
    t.equal(readFileSync(join(dataDir, LOCK_FILE), 'utf8'), `${first.child.pid}\n`, 'the lock still names the first');

    const login = await fetch(`${first.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.com', password: 'correct horse battery' }),
    });
    t.equal(login.status, 200, 'the first still serves the folder');

    first.child.kill('SIGTERM');
    t.equal(await first.exited, 0);
    t.throws(() => readFileSync(join(dataDir, LOCK_FILE)), { code: 'ENOENT' }, 'a clean stop releases the folder');

    const third = await startServer(t, { args: sourceServerArgs, env });
    const again = await fetch(`${third.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.com', password: 'correct horse battery' }),
    });
    t.equal(again.status, 200, 'the next server opens the folder with its data');
  },
);
