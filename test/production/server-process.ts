/**
 * Helpers for tests that run the real server as a child process: a free port, a database of the
 * test's own (a PGlite folder, or a fresh PostgreSQL database when TEST_DATABASE_URL is set), and
 * a started server that is always stopped when the test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import type { Test } from 'tap';
import { TEST_SECRET } from '../helper.js';

export const repoRoot = new URL('../../', import.meta.url).pathname;

/** A TCP port that was free a moment ago (the kernel picks it; we release it for the server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The database variables of a server process: a fresh database, deleted when the test ends. */
export async function serverDatabase(t: Test): Promise<Record<string, string>> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    const name = `bucketlist_process_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    t.teardown(async () => {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      await cleanup.end();
    });
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { DATABASE_URL: url.toString() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-process-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  return { DATA_DIR: dataDir };
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far (JSON log lines). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Node arguments that run the TypeScript sources, from any working directory. */
export const sourceServerArgs = ['--import', import.meta.resolve('tsx'), join(repoRoot, 'src/server.ts')];

export interface StartOptions {
  /** Node's arguments: options and the script, with absolute paths. */
  args: string[];
  env: Record<string, string>;
  /** How long the server may take to answer /healthz. */
  startTimeoutMs?: number;
}

/**
 * `node <args>` from a scratch working directory (so a developer's .env is not read), with only
 * the environment given; killed at the end of the test if still running.
 */
function spawnShell(t: Test, args: string[], env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'bucketlist-cwd-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const child = spawn(process.execPath, args, {
    cwd,
    // Only what the test sets: no shell variable (DATABASE_URL…) leaks in.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'info',
      // No coverage from the child: it runs the same sources through another loader (tsx, or the
      // compiled dist/), and tap would merge those counts into the tests' and corrupt them.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited, output: () => output };
}

/** Starts `node <args>` (see spawnShell) and waits until /healthz answers. */
export async function startServer(t: Test, options: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const { child, exited, output } = spawnShell(t, options.args, {
    HOST: '127.0.0.1',
    PORT: String(port),
    ...options.env,
  });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the server exited (${child.exitCode}) before answering:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz in time:\n${output()}`);
    await sleep(100);
  }
  return { child, url, output, exited };
}

export type WorkerProcess = Omit<RunningServer, 'url'>;

/** `src/worker.ts` (see spawnShell), once it logs that its workers have started. */
export async function startWorkerProcess(t: Test, env: Record<string, string>): Promise<WorkerProcess> {
  const worker = spawnShell(t, ['--import', import.meta.resolve('tsx'), join(repoRoot, 'src/worker.ts')], {
    JOB_POLL_INTERVAL: '0.5',
    ...env,
  });
  const deadline = Date.now() + 60_000;
  while (!worker.output().includes('workers started')) {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`the worker did not start in time:\n${worker.output()}`);
    await sleep(100);
  }
  return worker;
}

/** Waits for the process to exit, or fails after timeoutMs instead of hanging the test run. */
export async function exitOf(server: RunningServer, timeoutMs: number): Promise<number | string> {
  return Promise.race([
    server.exited,
    sleep(timeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`the server did not exit within ${timeoutMs} ms:\n${server.output()}`);
    }),
  ]);
}
