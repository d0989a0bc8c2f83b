/** Reading a text EXPLAIN plan: which indexes it uses, which tables it scans whole, how long it took. */
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
  return {
    name,
    file,
    indexes: [...indexes],
    seqScans: [...seqScans],
    executionMs: execution ? Number(execution[1]) : null,
  };
}

/** A file name for a query's plan: lower-case, dashes only. */
export function planFileName(name: string): string {
  return `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}.txt`;
}
