/** Self time per function, and per package, from a V8 .cpuprofile (what `node --cpu-prof` writes). */
import type { ProfileFrame, ProfileSummary } from './report.js';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code comes from: a package, Node itself, the app, or V8's pseudo-frames. */
export function frameGroup(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native code (no source)';
  if (url.startsWith('node:')) return 'node internals';
  // The last node_modules segment names the package whose code this is.
  const packages = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (packages.length > 0) return packages.at(-1)?.[1] as string;
  if (/\/(dist|src)\//.test(url)) return 'app (src/)';
  return 'other';
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
    const location = shortLocation(frame.url, frame.lineNumber);
    const key = `${functionName}@${location}`;
    const entry = byFrame.get(key) ?? {
      functionName,
      location,
      group: frameGroup(frame.functionName, frame.url),
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
