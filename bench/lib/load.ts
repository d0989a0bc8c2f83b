/**
 * The load generator: wrk with our Lua script, pinned to its own core, one thread; or, when wrk
 * cannot be had, autocannon through npx (which can only repeat one request per scenario).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadMeasurement, parseAutocannonJson, parseWrkOutput } from './load-output.js';
import { renderLuaRequests, type ScriptedRequest } from './lua-data.js';
import { aptInstall, runCommand } from './processes.js';

export type LoadGenerator = { kind: 'wrk'; version: string } | { kind: 'autocannon'; version: string };

const LUA_SCRIPT = fileURLToPath(new URL('../lua/requests.lua', import.meta.url));
const AUTOCANNON = 'autocannon@8';

async function wrkVersion(): Promise<string | undefined> {
  try {
    const result = await runCommand('wrk', ['--version'], { timeoutMs: 10_000 });
    return /^wrk (\S+)/m.exec(result.stdout + result.stderr)?.[1];
  } catch {
    return undefined;
  }
}

/** wrk if present; else try Debian's package; else autocannon from the npm registry. */
export async function findLoadGenerator(
  preferred: 'auto' | 'wrk' | 'autocannon',
  log: (line: string) => void,
): Promise<LoadGenerator> {
  if (preferred !== 'autocannon') {
    let version = await wrkVersion();
    if (!version) {
      await aptInstall(['wrk'], log);
      version = await wrkVersion();
    }
    if (version) return { kind: 'wrk', version };
    if (preferred === 'wrk') throw new Error('wrk is not available');
    log('falling back to autocannon via npx');
  }
  const result = await runCommand('npx', ['--yes', AUTOCANNON, '--version'], { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`neither wrk nor autocannon is available: ${result.stderr}`);
  return { kind: 'autocannon', version: result.stdout.trim().split('\n')[0] ?? AUTOCANNON };
}

export interface LoadRun {
  baseUrl: string;
  requests: ScriptedRequest[];
  /** Take each response's ETag for the next If-Match on that id (conditional writes). */
  trackEtags: boolean;
  durationSeconds: number;
  connections: number;
  /** taskset CPU list for the generator. */
  cpus: string;
  workDir: string;
}

let runCounter = 0;

/** One bounded run; resolves with what the generator measured. */
export async function runLoad(generator: LoadGenerator, run: LoadRun): Promise<LoadMeasurement> {
  const timeoutMs = (run.durationSeconds + 30) * 1000;
  if (generator.kind === 'wrk') {
    const dataFile = join(run.workDir, `requests-${process.pid}-${++runCounter}.lua`);
    writeFileSync(dataFile, renderLuaRequests(run.requests, run.trackEtags));
    const args = [
      '-c',
      run.cpus,
      'wrk',
      '-t1',
      `-c${run.connections}`,
      `-d${run.durationSeconds}s`,
      '--timeout',
      '10s',
    ];
    args.push('--latency', '-s', LUA_SCRIPT, run.baseUrl);
    const result = await runCommand('taskset', args, { env: { ...process.env, BENCH_DATA: dataFile }, timeoutMs });
    if (result.code !== 0) throw new Error(`wrk failed (${result.code}): ${result.stderr}${result.stdout}`);
    return parseWrkOutput(result.stdout);
  }
  const [first] = run.requests;
  if (!first) throw new Error('no request to send');
  const args = ['-c', run.cpus, 'npx', '--yes', AUTOCANNON, '-j', '-c', String(run.connections)];
  args.push('-d', String(run.durationSeconds), '-t', '10', '-m', first.method, '-H', 'accept=application/json');
  if (first.token) args.push('-H', `authorization=Bearer ${first.token}`);
  if (first.body !== undefined) args.push('-H', 'content-type=application/json', '-b', first.body);
  args.push(new URL(first.path, run.baseUrl).toString());
  const result = await runCommand('taskset', args, { timeoutMs });
  if (result.code !== 0) throw new Error(`autocannon failed (${result.code}): ${result.stderr}`);
  return parseAutocannonJson(result.stdout);
}
