/**
 * The export job: writes the owner's bucketlists and items, in keyset batches, as the chunks of
 * the export. Each run has its own id; a retried run starts afresh, and only the run that marks
 * the export done owns the content, so a run given up on (its worker died) cannot mix into it.
 */
import { randomUUID } from 'node:crypto';
import type { ExportRecord } from '../db/schema.js';
import type { ExportCursor, ExportRepository } from '../repositories/exports.js';
import { presentBucketlistFields } from '../routes/v1/bucketlists/present.js';
import { presentItem } from '../routes/v1/items/present.js';

/** Rows read (and records stored) per batch: one statement and one chunk each. */
export const EXPORT_BATCH_ROWS = 1000;

/** What a run did: finished the export, found nothing to do, or lost the export to a newer run. */
export type ExportOutcome = 'done' | 'skipped' | 'superseded';

export async function runExport(repository: ExportRepository, exportId: number): Promise<ExportOutcome> {
  const runId = randomUUID();
  const run = await repository.startRun(exportId, runId);
  if (!run) return 'skipped';
  let cursor: ExportCursor = { bucketlistId: 0, itemId: 0 };
  let exported = 0;
  for (let seq = 0; ; seq++) {
    const rows = await repository.readBatch(run.ownerId, cursor, EXPORT_BATCH_ROWS);
    if (rows.length === 0) break;
    const records: ExportRecord[] = [];
    for (const row of rows) {
      // A bucketlist's record comes before its first item, including when a batch starts mid-list.
      if (row.bucketlist.id !== cursor.bucketlistId)
        records.push({ bucketlist: presentBucketlistFields(row.bucketlist) });
      cursor = { bucketlistId: row.bucketlist.id, itemId: row.item?.id ?? 0 };
      if (row.item) {
        records.push({ item: presentItem(row.item) });
        exported += 1;
      }
    }
    if (!(await repository.writeChunk(run, seq, records, exported))) return 'superseded';
    if (rows.length < EXPORT_BATCH_ROWS) break;
  }
  return (await repository.finishRun(run)) ? 'done' : 'superseded';
}
