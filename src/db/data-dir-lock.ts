/**
 * An exclusive claim on the embedded database's data folder. PGlite runs PostgreSQL in one
 * process without its postmaster, so nothing stops a second process from opening the same files
 * and corrupting them. The claim is a lock file created with O_EXCL that holds the owner's pid,
 * as PostgreSQL's own postmaster.pid: a lock whose process no longer runs (the owner was killed)
 * is stale and taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

export const LOCK_FILE = 'bucketlist-api.pid';

/** True when a process with this pid exists (EPERM: it exists, under another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or undefined when it is unreadable or half-written. */
function ownerOf(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the data folder for this process; the returned function releases it. Throws a one-line
 * ConfigError when another running process holds it. Our own pid in a stale lock (a restarted
 * container is pid 1 again) is not another process.
 */
export function claimDataDir(dataDir: string): () => void {
  const lockPath = join(dataDir, LOCK_FILE);
  // Like PostgreSQL's CreateLockFile: a lost race with another starter only means trying again.
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(lockPath);
    if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
      throw new ConfigError(
        `DATA_DIR ${dataDir} is in use by another process (pid ${owner}); stop it or give this one another DATA_DIR`,
      );
    }
    rmSync(lockPath, { force: true });
  }
  throw new ConfigError(`DATA_DIR ${dataDir}: could not create its lock file ${LOCK_FILE}`);
}
