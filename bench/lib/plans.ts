/**
 * Reading a text EXPLAIN plan: which indexes it uses, which tables it scans whole, how many shared
 * buffers it touched, how long it took.
 */
import type { PlanSummary } from './report.js';

export function readPlan(name: string, file: string, plan: string): PlanSummary {
  const indexes = new Set<string>();
  const seqScans = new Set<string>();
  for (const match of plan.matchAll(/Index (?:Only )?Scan (?:Backward )?using (\S+) on (\S+)/g)) {
    indexes.add(match[1] as string);
  }
  for (const match of plan.matchAll(/Bitmap Index Scan on (\S+)/g)) indexes.add(match[1] as string);
  for (const match of plan.matchAll(/Seq Scan on (\S+)/g)) seqScans.add(match[1] as string);
  const execution = /Execution Time: ([\d.]+) ms/.exec(plan);
  // The first Buffers line is the root node's, which counts its children's too (a node that touched
  // none has no line, and then neither have its children: the planning's Buffers do not count).
  const buffers = /Buffers: shared((?: \w+=\d+)+)/.exec(plan.split(/^Planning/m)[0] as string)?.[1];
  const count = (kind: string) => Number(new RegExp(`${kind}=(\\d+)`).exec(buffers ?? '')?.[1] ?? 0);
  return {
    name,
    file,
    indexes: [...indexes],
    seqScans: [...seqScans],
    executionMs: execution ? Number(execution[1]) : null,
    buffers: buffers === undefined ? null : count('hit') + count('read'),
  };
}

/** A file name for a query's plan: lower-case, dashes only. */
export function planFileName(name: string): string {
  return `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}.txt`;
}
