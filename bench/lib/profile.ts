/** Self time per function, and per package, from a V8 .cpuprofile (what `node --cpu-prof` writes). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import type { ProfileFrame, ProfileSummary } from './report.js';

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a frame's code comes from: a package, Node itself, the app, V8's pseudo-frames, code
 * compiled at run time, or a native function (by name: writev, writeBuffer and writeString are the
 * writes to sockets and files).
 */
export function frameGroup(functionName: string, url: string, lineNumber = -1): string {
  if (!url) {
    if (functionName.startsWith('(')) return functionName;
    if (functionName.startsWith('RegExp: ')) return 'regular expressions';
    // A position without a script: code made with `new Function`, as Ajv's validators are.
    if (lineNumber >= 0) return 'generated code (new Function)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) return 'node internals';
  // The last node_modules segment names the package whose code this is.
  const packages = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (packages.length > 0) return packages.at(-1)?.[1] as string;
  if (/\/(dist|src)\//.test(url)) return 'app (src/)';
  if (/\/bench\//.test(url)) return 'bench (baselines)';
  return 'other';
}

/** Where a frame's code was written: a file URL and 0-based line, or undefined to keep the frame's own. */
export type SourceResolver = (url: string, line: number, column: number) => { url: string; line: number } | undefined;

/**
 * Frames of a bundle (dist/server.js and its chunks) traced back through the bundle's source maps
 * to the file each came from, so that Fastify, Drizzle or postgres.js get their own group rather
 * than all counting as the app. A script without a map next to it keeps its own location.
 */
export function sourceMapResolver(): SourceResolver {
  const maps = new Map<string, TraceMap | undefined>();
  const located = new Map<string, string>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(url, existsSync(file) ? new TraceMap(readFileSync(file, 'utf8')) : undefined);
    }
    return maps.get(url);
  };
  return (url, line, column) => {
    if (!url.startsWith('file://')) return undefined;
    const map = mapOf(url);
    if (!map) return undefined;
    const original = originalPositionFor(map, { line: line + 1, column });
    if (original.source === null) return undefined;
    const traced = resolve(dirname(fileURLToPath(url)), original.source);
    if (!located.has(traced)) located.set(traced, existsSync(traced) ? traced : (compiledFileOf(traced) ?? traced));
    return { url: pathToFileURL(located.get(traced) as string).href, line: original.line - 1 };
  };
}

/**
 * Some packages publish source maps that point one folder above themselves (drizzle-orm's lead
 * from `node_modules/drizzle-orm/pg-core/table.js` to `node_modules/src/pg-core/table.ts`), which
 * loses the package's name. Such a source is the app dependency that has the compiled file at the
 * same path, when exactly one has.
 */
function compiledFileOf(source: string): string | undefined {
  const match = /^(.*\/node_modules)\/src\/(.+)\.ts$/.exec(source);
  if (!match) return undefined;
  const [, modules = '', path = ''] = match;
  const candidates = appDependencies()
    .map((name) => resolve(modules, name, `${path}.js`))
    .filter((file) => existsSync(file));
  return candidates.length === 1 ? candidates[0] : undefined;
}

let dependencies: string[] | undefined;
function appDependencies(): string[] {
  const manifest = new URL('../../package.json', import.meta.url);
  dependencies ??= Object.keys(
    (JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies: Record<string, string> }).dependencies,
  );
  return dependencies;
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const trimmed = url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|dist|src)\//, '$1/');
  return `${trimmed}:${line + 1}`;
}

export interface SummaryOptions {
  top?: number;
  /**
   * Only samples taken in this window, in microseconds of the monotonic clock that both the
   * profile's timestamps and process.hrtime use: the measured run, without boot and warm-up.
   */
  window?: { startMicros: number; endMicros: number };
  /** Traces frames back to their sources (see sourceMapResolver). */
  resolveSource?: SourceResolver;
  /** Requests completed in the window, so the summary can also be read per request. */
  requests?: number;
}

/**
 * The top self-time frames and the self time of each group, in ms and as a share of the busy
 * time (all samples but V8's "(idle)").
 */
export function summariseProfile(profile: CpuProfile, file: string, options: SummaryOptions = {}): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByNode = new Map<number, number>();
  let timestamp = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const delta = Math.max(0, profile.timeDeltas[index] ?? 0);
    timestamp += delta;
    const window = options.window;
    if (window && (timestamp < window.startMicros || timestamp > window.endMicros)) return;
    selfByNode.set(nodeId, (selfByNode.get(nodeId) ?? 0) + delta);
  });
  const byFrame = new Map<string, { functionName: string; location: string; group: string; micros: number }>();
  let total = 0;
  let idle = 0;
  for (const [nodeId, micros] of selfByNode) {
    const frame = nodes.get(nodeId)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    total += micros;
    const functionName = frame.functionName || '(anonymous)';
    const source = options.resolveSource?.(frame.url, frame.lineNumber, frame.columnNumber ?? 0) ?? {
      url: frame.url,
      line: frame.lineNumber,
    };
    const location = shortLocation(source.url, source.line);
    const key = `${functionName}@${location}`;
    const entry = byFrame.get(key) ?? {
      functionName,
      location,
      group: frameGroup(frame.functionName, source.url, source.line),
      micros: 0,
    };
    entry.micros += micros;
    byFrame.set(key, entry);
  }
  const groups = new Map<string, number>();
  for (const entry of byFrame.values()) groups.set(entry.group, (groups.get(entry.group) ?? 0) + entry.micros);
  const share = (micros: number) => (total > 0 ? micros / total : 0);
  const frames: ProfileFrame[] = [...byFrame.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, options.top ?? 25)
    .map((entry) => ({
      functionName: entry.functionName,
      location: entry.location,
      selfMs: entry.micros / 1000,
      selfShare: share(entry.micros),
    }));
  return {
    file,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    top: frames,
    byGroup: [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([group, micros]) => ({ group, selfMs: micros / 1000, selfShare: share(micros) })),
    ...(options.requests ? { requests: options.requests } : {}),
  };
}

/** The summary as plain text, for the terminal. */
export function renderProfileText(summary: ProfileSummary): string {
  const pct = (value: number) => `${(value * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${summary.file}: ${(summary.totalMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle`,
    '',
    'self time by group (share of busy time):',
  ];
  for (const group of summary.byGroup.filter((entry) => entry.selfShare >= 0.001))
    lines.push(`  ${pct(group.selfShare)}  ${group.group}`);
  lines.push('', 'top functions by self time:');
  for (const frame of summary.top) lines.push(`  ${pct(frame.selfShare)}  ${frame.functionName}  ${frame.location}`);
  return lines.join('\n');
}

export interface GroupCost {
  group: string;
  /** Self time per request, in microseconds, in the API's profile and in the baseline's. */
  apiMicros: number;
  baselineMicros: number;
}

export interface RequestCosts {
  /** Largest extra cost of the API first; groups under 0.1 µs in both are left out. */
  groups: GroupCost[];
  /** All busy time per request, every group included. */
  total: GroupCost;
}

/**
 * The self time per request of each group in two profiles of the same requests (the API's and
 * the hand-written baseline's): where the API spends time that the baseline does not.
 * Undefined unless both summaries know their request counts.
 */
export function costPerRequest(api: ProfileSummary, baseline: ProfileSummary): RequestCosts | undefined {
  if (!api.requests || !baseline.requests) return undefined;
  const perRequest = (summary: ProfileSummary, requests: number) =>
    new Map(summary.byGroup.map((entry) => [entry.group, (entry.selfMs * 1000) / requests]));
  const apiCosts = perRequest(api, api.requests);
  const baselineCosts = perRequest(baseline, baseline.requests);
  const groups = [...new Set([...apiCosts.keys(), ...baselineCosts.keys()])]
    .map((group) => ({ group, apiMicros: apiCosts.get(group) ?? 0, baselineMicros: baselineCosts.get(group) ?? 0 }))
    .filter((cost) => Math.max(cost.apiMicros, cost.baselineMicros) >= 0.1)
    .sort((a, b) => b.apiMicros - b.baselineMicros - (a.apiMicros - a.baselineMicros));
  return {
    groups,
    total: {
      group: 'all',
      apiMicros: (api.totalMs * 1000) / api.requests,
      baselineMicros: (baseline.totalMs * 1000) / baseline.requests,
    },
  };
}

/** The per-request comparison as text, for the terminal. */
export function renderCostText(costs: RequestCosts): string {
  const micros = (value: number) => value.toFixed(1).padStart(8);
  const width = Math.max(...costs.groups.map((cost) => cost.group.length), 20) + 2;
  const lines = [`  ${'self µs per request'.padEnd(width)}     API  hand-written  difference`];
  for (const cost of [...costs.groups, costs.total]) {
    lines.push(
      `  ${cost.group.padEnd(width)}${micros(cost.apiMicros)}  ${micros(cost.baselineMicros)}    ${micros(cost.apiMicros - cost.baselineMicros)}`,
    );
  }
  return lines.join('\n');
}
