/**
 * The processes the bench starts: servers pinned to a core with taskset, each with its own log
 * file, waited on until `/healthz` answers, sampled for RSS, and stopped by their own pid only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartOptions {
  name: string;
  /** taskset CPU list, e.g. "0" or "0,1". */
  cpus: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

export interface Started {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  startedAt: number;
  exited: Promise<number | null>;
}

/** Every process this bench started and has not yet seen exit, so a failure can stop them. */
const running = new Set<Started>();

/** Starts `taskset -c <cpus> <command> <args>` (taskset execs, so the pid is the command's). */
export function startProcess(options: StartOptions): Started {
  const log = openSync(options.logFile, 'a');
  const startedAt = performance.now();
  const child = spawn('taskset', ['-c', options.cpus, options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
  });
  const started: Started = { name: options.name, pid: child.pid, child, logFile: options.logFile, startedAt, exited };
  running.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** The last lines of a process's log, for error messages. */
export function logTail(started: Started, lines = 30): string {
  try {
    return readFileSync(started.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `url` until it answers 200; resolves with the milliseconds since the process was
 * spawned. Fails when the process exits first or the deadline passes.
 */
export async function waitForOk(started: Started, url: string, timeoutMs = 60_000, intervalMs = 5): Promise<number> {
  let exitCode: number | null | undefined;
  void started.exited.then((code) => {
    exitCode = code;
  });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${started.name} exited (${exitCode}) before ${url} answered:\n${logTail(started)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - started.startedAt;
    } catch {
      // Not listening yet.
    }
    await sleep(intervalMs);
  }
  throw new Error(`${started.name}: ${url} did not answer 200 within ${timeoutMs} ms:\n${logTail(started)}`);
}

/** SIGTERM, then SIGKILL after the grace period; only ever this process's own pid. */
export async function stopProcess(started: Started, graceMs = 15_000): Promise<void> {
  if (!running.has(started)) return;
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => started.child.kill('SIGKILL'), graceMs);
  await started.exited;
  clearTimeout(timer);
}

/** Stops whatever the bench still has running (after an error or Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((started) => stopProcess(started, 5000)));
}

/** Parses VmRSS from the text of /proc/<pid>/status, in kB. */
export function vmRssKb(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) : 0;
}

/** The pid and its descendants (cluster workers), found through /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: the ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const children = parents.get(ppid) ?? [];
      children.push(Number(entry));
      parents.set(ppid, children);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) tree.push(...(parents.get(tree[index] as number) ?? []));
  return tree;
}

/**
 * Samples the summed VmRSS of processes (several instances of a fleet, or one; and, if asked,
 * their descendants) until stopped.
 */
export function sampleRss(roots: number[], options: { includeChildren: boolean; intervalMs?: number }) {
  let maxKb = 0;
  const find = () => (options.includeChildren ? roots.flatMap(processTree) : roots);
  let pids = find();
  let ticks = 0;
  const sample = () => {
    if (options.includeChildren && ++ticks % 10 === 0) pids = find();
    let total = 0;
    for (const each of pids) {
      try {
        total += vmRssKb(readFileSync(`/proc/${each}/status`, 'utf8'));
      } catch {
        // Gone.
      }
    }
    maxKb = Math.max(maxKb, total);
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 100);
  return {
    /** Stops sampling; the peak in MB (10^6 bytes: the larger, stricter number than MiB). */
    stop(): number {
      clearInterval(timer);
      sample();
      return (maxKb * 1024) / 1e6;
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, killing it (by its pid) if it outlives `timeoutMs`. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `apt-get install -y` of Debian packages the bench needs (wrk, nginx, pgbouncer), as .ci/run
 * does; logs why it failed (not root, no network) and leaves the caller to check again.
 */
export async function aptInstall(packages: string[], log: (line: string) => void): Promise<void> {
  log(`${packages.join(', ')} missing; trying \`apt-get install -y ${packages.join(' ')}\``);
  const aptGet = (args: string[]) =>
    runCommand('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 300_000,
    }).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  const install = () => aptGet(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  let result = await install();
  // A machine whose package lists were never fetched knows no package: fetch them once and retry.
  if (result.code !== 0 && (await aptGet(['update', '-q'])).code === 0) result = await install();
  if (result.code !== 0)
    log(`apt-get install ${packages.join(' ')} failed: ${result.stderr.trim().split('\n').at(-1)}`);
}
