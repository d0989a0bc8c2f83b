/** The data folder's lock file: who holds it, and when a lock is stale and taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError } from '../../src/config.js';
import { claimDataDir, LOCK_FILE } from '../../src/db/data-dir-lock.js';

function folder(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bucketlist-lockfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

t.test('a claim writes our pid, and its release removes the lock', async (t) => {
  const dir = folder(t);
  const release = claimDataDir(dir);
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`);
  release();
  t.notOk(existsSync(join(dir, LOCK_FILE)));
});

t.test('a lock held by another running process is refused with a ConfigError naming it', async (t) => {
  const dir = folder(t);
  // pid 1 always runs (as another user's process it would answer EPERM: running all the same).
  writeFileSync(join(dir, LOCK_FILE), '1\n');
  t.throws(
    () => claimDataDir(dir),
    new ConfigError(`DATA_DIR ${dir} is in use by another process (pid 1); stop it or give this one another DATA_DIR`),
  );
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), '1\n', 'the lock is left alone');
});

t.test('a stale lock (its process is gone), our own pid, or an unreadable lock is taken over', async (t) => {
  for (const content of [`${deadPid()}\n`, `${process.pid}\n`, '', 'not a pid', '0']) {
    const dir = folder(t);
    writeFileSync(join(dir, LOCK_FILE), content);
    const release = claimDataDir(dir);
    t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`, JSON.stringify(content));
    release();
  }
});

t.test('a folder that cannot hold the lock fails with the file system error', async (t) => {
  t.throws(() => claimDataDir(join(folder(t), 'missing')), { code: 'ENOENT' });
});
