/**
 * Data exports: the request (one row per export, scoped by owner), the job's reads of the owner's
 * bucketlists and items in keyset batches, and the export's content, stored as ordered chunks in
 * the database so that any instance can serve the download. Every read of an export carries the
 * owner and ignores expired exports, so another user's export and an expired one are both missing.
 */
import { and, asc, eq, gt, gte, inArray, lte, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { bucketlists, type ExportRecord, exportChunks, exports, items } from '../db/schema.js';
import { BUCKETLIST_FIELDS } from './bucketlists.js';
import { presentedItemCount } from './item-counts.js';
import { PRESENTED as ITEM_FIELDS } from './items.js';
import { NOT_NULL_VIOLATION, ownerOfActiveSession, type Viewer } from './sessions.js';
import { hasSqlState } from './writes.js';

const PRESENTED = {
  id: exports.id,
  status: exports.status,
  runId: exports.runId,
  itemCount: exports.itemCount,
  itemsExported: exports.itemsExported,
  createdAt: exports.createdAt,
  completedAt: exports.completedAt,
  expiresAt: exports.expiresAt,
};

export type ExportRow = Pick<typeof exports.$inferSelect, keyof typeof PRESENTED>;

/** SQLSTATE of a second active export of one owner (the partial unique index). */
const UNIQUE_VIOLATION = '23505';

export type CreateExportResult =
  { status: 'ok'; row: ExportRow } | { status: 'conflict' } | { status: 'session_ended' };

/** Where a batch of the owner's rows starts: after this bucketlist and item (0: before its first item). */
export interface ExportCursor {
  bucketlistId: number;
  itemId: number;
}

/** A run of an export's job: the export, its owner (which the run's statements after the first name) and the run's id. */
export interface ExportRun {
  id: number;
  ownerId: number;
  runId: string;
}

const ACTIVE = ['queued', 'running'] as const;
const notExpired = sql`${exports.expiresAt} > now()`;
/** The export while this run is its run. */
const ofRun = (run: ExportRun) =>
  and(eq(exports.ownerId, run.ownerId), eq(exports.id, run.id), eq(exports.runId, run.runId));
/** The export's chunks, by its owner first (the distribution column). */
const chunksOf = (ownerId: number, id: number) => and(eq(exportChunks.ownerId, ownerId), eq(exportChunks.exportId, id));

export function createExportRepository(db: Database) {
  const byId = db
    .select(PRESENTED)
    .from(exports)
    .where(and(eq(exports.id, sql.placeholder('id')), eq(exports.ownerId, sql.placeholder('ownerId')), notExpired))
    .prepare('exports_by_id');

  // Every bucketlist with each of its items, in (bucketlist, item) order; a bucketlist without
  // items is one row with null item fields, sorted before any item (item id 0 in the cursor).
  const batch = db
    .select({
      bucketlist: BUCKETLIST_FIELDS,
      item: ITEM_FIELDS,
    })
    .from(bucketlists)
    .leftJoin(items, and(eq(items.bucketlistId, bucketlists.id), eq(items.ownerId, bucketlists.ownerId)))
    .where(
      and(
        eq(bucketlists.ownerId, sql.placeholder('ownerId')),
        // The index range; the row comparison then skips what the cursor's bucketlist already gave.
        gte(bucketlists.id, sql.placeholder('bucketlistId')),
        sql`(${bucketlists.id}, coalesce(${items.id}, 0)) > (${sql.placeholder('bucketlistId')}, ${sql.placeholder('itemId')})`,
      ),
    )
    .orderBy(asc(bucketlists.id), sql`${items.id} asc nulls first`)
    .limit(sql.placeholder('limit'))
    .prepare('exports_batch');

  const nextChunk = db
    .select({ seq: exportChunks.seq, records: exportChunks.records })
    .from(exportChunks)
    .where(
      and(
        eq(exportChunks.ownerId, sql.placeholder('ownerId')),
        eq(exportChunks.exportId, sql.placeholder('exportId')),
        eq(exportChunks.runId, sql.placeholder('runId')),
        gt(exportChunks.seq, sql.placeholder('after')),
      ),
    )
    .orderBy(asc(exportChunks.seq))
    .limit(1)
    .prepare('exports_next_chunk');

  return {
    /** A queued export of the caller's data, unless one is already queued or running (at most one per owner). */
    async create(viewer: Viewer, ttlSeconds: number): Promise<CreateExportResult> {
      try {
        const [row] = await db
          .insert(exports)
          .values({
            ownerId: ownerOfActiveSession(viewer.sessionId, viewer.userId),
            expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})`,
          })
          .returning(PRESENTED);
        return { status: 'ok', row: row as ExportRow };
      } catch (error) {
        if (hasSqlState(error, UNIQUE_VIOLATION)) return { status: 'conflict' };
        if (hasSqlState(error, NOT_NULL_VIOLATION)) return { status: 'session_ended' };
        throw error;
      }
    },

    /** The owner's export, unless it has expired. */
    async find(ownerId: number, id: number): Promise<ExportRow | undefined> {
      const [row] = await byId.execute({ id, ownerId });
      return row;
    },

    /** Removes the owner's export that could not be queued. */
    async remove(ownerId: number, id: number): Promise<void> {
      await db.delete(exports).where(and(eq(exports.ownerId, ownerId), eq(exports.id, id)));
    },

    /**
     * Starts a run of the export's job: the export becomes running under this run id, with its item
     * count. A run taken over from a dead worker starts afresh. Undefined when there is nothing
     * to run (the export is done, failed, expired or gone).
     */
    async startRun(id: number, runId: string): Promise<(ExportRun & { itemCount: number }) | undefined> {
      const [row] = await db
        .update(exports)
        .set({
          status: 'running',
          runId,
          attempts: sql`${exports.attempts} + 1`,
          itemsExported: 0,
          itemCount: sql`(select coalesce(sum(${presentedItemCount}), 0)::int from ${bucketlists} where ${bucketlists.ownerId} = ${exports.ownerId})`,
        })
        .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE), notExpired))
        .returning({ ownerId: exports.ownerId, itemCount: exports.itemCount });
      return row ? { id, runId, ownerId: row.ownerId, itemCount: row.itemCount ?? 0 } : undefined;
    },

    /** The owner's next rows after the cursor, at most `limit`. */
    readBatch(ownerId: number, after: ExportCursor, limit: number) {
      return batch.execute({ ownerId, bucketlistId: after.bucketlistId, itemId: after.itemId, limit });
    },

    /** Stores a chunk of the run and its progress; false when the run is no longer the export's. */
    async writeChunk(run: ExportRun, seq: number, records: ExportRecord[], itemsExported: number) {
      await db.insert(exportChunks).values({ ownerId: run.ownerId, exportId: run.id, runId: run.runId, seq, records });
      const updated = await db
        .update(exports)
        .set({ itemsExported })
        .where(and(ofRun(run), eq(exports.status, 'running')))
        .returning({ id: exports.id });
      return updated.length > 0;
    },

    /** Marks the run's export done and drops the chunks of earlier runs; false if another run owns it. */
    async finishRun(run: ExportRun): Promise<boolean> {
      return db.transaction(async (tx) => {
        const done = await tx
          .update(exports)
          .set({ status: 'done', completedAt: sql`now()` })
          .where(and(ofRun(run), eq(exports.status, 'running')))
          .returning({ id: exports.id });
        if (done.length === 0) return false;
        await tx.delete(exportChunks).where(and(chunksOf(run.ownerId, run.id), ne(exportChunks.runId, run.runId)));
        return true;
      });
    },

    /** Marks the export failed (its job gave up) and drops its content; a finished export keeps its own. */
    async fail(id: number): Promise<void> {
      await db.transaction(async (tx) => {
        const [failed] = await tx
          .update(exports)
          .set({ status: 'failed', completedAt: sql`now()` })
          .where(and(eq(exports.id, id), inArray(exports.status, ACTIVE)))
          .returning({ ownerId: exports.ownerId });
        if (failed) await tx.delete(exportChunks).where(chunksOf(failed.ownerId, id));
      });
    },

    /** The run's chunks in order, one statement per chunk, so that only one is in memory at a time. */
    async *chunks(ownerId: number, id: number, runId: string): AsyncGenerator<ExportRecord[]> {
      for (let after = -1; ;) {
        const [chunk] = await nextChunk.execute({ ownerId, exportId: id, runId, after });
        if (!chunk) return;
        after = chunk.seq;
        yield chunk.records;
      }
    },

    /** Deletes expired exports (and their content); returns how many. */
    async purgeExpired(): Promise<number> {
      const purged = await db
        .delete(exports)
        .where(lte(exports.expiresAt, sql`now()`))
        .returning({ id: exports.id });
      return purged.length;
    },
  };
}

export type ExportRepository = ReturnType<typeof createExportRepository>;
