/**
 * Bucketlists. Every query carries `owner_id` in its WHERE clause, so another user's
 * bucketlist is indistinguishable from a missing one; If-Match versions go into the same
 * statement as the write. The caller's statements also require the caller's session to be
 * active, so that a request needs no separate session query (see src/repositories/sessions.ts).
 */
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { and, eq, like, or, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { foldCase, foldNullable } from '../db/folding.js';
import { bucketlists, nextUpdatedAt } from '../db/schema.js';
import * as keyset from './keyset.js';
import { canMatchStoredText, containsPattern } from './search.js';
import { NOT_NULL_VIOLATION, ownerOfActiveSession, sessionIsActive, type Viewer } from './sessions.js';
import {
  collateC,
  explainMissedWrite,
  hasSqlState,
  pageOf,
  pageTotal,
  placeholdersFor,
  preparedPerShape,
  versionIn,
  type WriteResult,
} from './writes.js';

/** What reads and writes return: the presented fields (timestamps as RFC 3339 text) and the version. */
export const PRESENTED = {
  id: bucketlists.id,
  name: bucketlists.name,
  description: bucketlists.description,
  itemCount: bucketlists.itemCount,
  version: bucketlists.version,
  createdAt: bucketlists.createdAt,
  updatedAt: bucketlists.updatedAt,
};

export type BucketlistRow = SelectResultFields<typeof PRESENTED>;

export interface BucketlistListOptions {
  page: number;
  pageSize: number;
  sort: string;
  q?: string;
  /** Continue from this boundary row (cursor pagination) instead of skipping to `page`. */
  after?: keyset.Keyset;
}

const SORT_COLUMNS = {
  id: bucketlists.id,
  name: collateC(bucketlists.nameFolded),
  created_at: bucketlists.createdAt,
  updated_at: bucketlists.updatedAt,
};

const searchable = (values: { name: string; description: string | null }) => ({
  name: values.name,
  description: values.description,
  nameFolded: foldCase(values.name),
  descriptionFolded: foldNullable(values.description),
});

/** What an update sets: some of the fields, each with its folded copy. */
type Changes = Partial<ReturnType<typeof searchable>>;

/** The caller's bucketlists, optionally only those whose name or description contains the pattern. */
const ownedMatching = (ownerId: number | Placeholder, pattern: string | Placeholder | undefined) =>
  and(
    eq(bucketlists.ownerId, ownerId),
    pattern === undefined
      ? undefined
      : or(like(bucketlists.nameFolded, pattern), like(bucketlists.descriptionFolded, pattern)),
  );

export function createBucketlistRepository(db: Database) {
  const owned = and(eq(bucketlists.id, sql.placeholder('id')), eq(bucketlists.ownerId, sql.placeholder('ownerId')));
  const byId = db.select(PRESENTED).from(bucketlists).where(owned).prepare('bucketlists_by_id');
  const activeViewer = sessionIsActive(sql.placeholder('sessionId'), sql.placeholder('ownerId'));
  const visibleById = db
    .select(PRESENTED)
    .from(bucketlists)
    .where(and(owned, activeViewer))
    .prepare('bucketlists_visible_by_id');
  const insert = db
    .insert(bucketlists)
    .values({
      ownerId: ownerOfActiveSession(sql.placeholder('sessionId'), sql.placeholder('ownerId')),
      name: sql.placeholder('name'),
      description: sql.placeholder('description'),
      nameFolded: sql.placeholder('nameFolded'),
      descriptionFolded: sql.placeholder('descriptionFolded'),
    })
    .returning(PRESENTED)
    .prepare('bucketlists_insert');

  const listStatement = preparedPerShape((sort: string, searching: boolean, shape: keyset.KeysetShape) => {
    const matching = ownedMatching(sql.placeholder('ownerId'), searching ? sql.placeholder('pattern') : undefined);
    return db
      .select({ row: PRESENTED, total: pageTotal(db, bucketlists, matching) })
      .from(bucketlists)
      .where(and(matching, activeViewer, keyset.predicate(sort, SORT_COLUMNS, bucketlists.id, shape)))
      .orderBy(...keyset.order(sort, SORT_COLUMNS, bucketlists.id, shape))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare(`bucketlists_list_${sort}_${searching}${shape === 'none' ? '' : `_${shape}`}`);
  });

  const find = async (ownerId: number, id: number) => (await byId.execute({ id, ownerId }))[0];

  // The viewer's bucketlist of this id, at one of the If-Match versions when `versioned`, while the
  // viewer's session is active.
  const writable = (versioned: boolean) =>
    and(owned, versioned ? versionIn(bucketlists.version, sql.placeholder('versions')) : undefined, activeViewer);
  const updateStatement = preparedPerShape((fields: string, versioned: boolean) =>
    db
      .update(bucketlists)
      .set({
        ...placeholdersFor(fields.split(',') as (keyof Changes)[]),
        version: sql`${bucketlists.version} + 1`,
        updatedAt: nextUpdatedAt(bucketlists.updatedAt),
      })
      .where(writable(versioned))
      .returning(PRESENTED)
      .prepare(`bucketlists_update_${fields.replaceAll(',', '_')}_${versioned}`),
  );
  const removeStatement = preparedPerShape((versioned: boolean) =>
    db
      .delete(bucketlists)
      .where(writable(versioned))
      .returning({ id: bucketlists.id })
      .prepare(`bucketlists_delete_${versioned}`),
  );
  const writeParams = (viewer: Viewer, id: number, versions: number[] | undefined) => ({
    id,
    ownerId: viewer.userId,
    sessionId: viewer.sessionId,
    versions,
  });

  async function update(
    viewer: Viewer,
    id: number,
    changes: Changes,
    versions: number[] | undefined,
  ): Promise<WriteResult<BucketlistRow>> {
    const statement = updateStatement(Object.keys(changes).join(','), versions !== undefined);
    const [row] = await statement.execute({ ...writeParams(viewer, id, versions), ...changes });
    if (row) return { status: 'ok', row };
    return explainMissedWrite(versions, async () => (await find(viewer.userId, id)) !== undefined);
  }

  return {
    find,

    /** The bucketlist, if it is the viewer's and the viewer's session is active (one statement). */
    async findVisible(viewer: Viewer, id: number) {
      const [row] = await visibleById.execute({ id, ownerId: viewer.userId, sessionId: viewer.sessionId });
      return row;
    },

    /** The new bucketlist, or undefined when the viewer's session is not active (nothing is written). */
    async create(viewer: Viewer, values: { name: string; description: string | null }) {
      try {
        const [row] = await insert.execute({
          ownerId: viewer.userId,
          sessionId: viewer.sessionId,
          ...searchable(values),
        });
        return row as BucketlistRow;
      } catch (error) {
        if (hasSqlState(error, NOT_NULL_VIOLATION)) return undefined;
        throw error;
      }
    },

    /** A page of the viewer's bucketlists; empty when the viewer's session is not active. */
    async list(viewer: Viewer, options: BucketlistListOptions) {
      const ownerId = viewer.userId;
      if (options.q && !canMatchStoredText(options.q)) return { rows: [], total: 0 };
      const statement = listStatement(options.sort, Boolean(options.q), keyset.shapeOf(options.after));
      const offset = options.after ? 0 : (options.page - 1) * options.pageSize;
      const pattern = options.q ? containsPattern(options.q) : undefined;
      const results = await statement.execute({
        ownerId,
        sessionId: viewer.sessionId,
        pattern,
        ...keyset.params(options.after),
        limit: options.pageSize,
        offset,
      });
      // Past a boundary rows were skipped as past an offset: an empty page still counts the rest.
      const page = await pageOf(results, options.after ? 1 : offset, () =>
        db.$count(bucketlists, ownedMatching(ownerId, pattern)),
      );
      return { rows: keyset.inListOrder(page.rows, options.after), total: page.total };
    },

    /** The boundary a cursor names for this row in this sort: its sort value and id. */
    boundaryOf(sort: string, row: BucketlistRow) {
      const values = { name: foldCase(row.name), created_at: row.createdAt, updated_at: row.updatedAt };
      return { value: values[sort.replace(/^-/, '') as keyof typeof values] ?? row.id, id: row.id };
    },

    replace(viewer: Viewer, id: number, values: { name: string; description: string | null }, versions?: number[]) {
      return update(viewer, id, searchable(values), versions);
    },

    patch(viewer: Viewer, id: number, values: { name?: string; description?: string | null }, versions?: number[]) {
      const changes: Changes = {};
      if (values.name !== undefined) Object.assign(changes, { name: values.name, nameFolded: foldCase(values.name) });
      if (values.description !== undefined) {
        Object.assign(changes, {
          description: values.description,
          descriptionFolded: foldNullable(values.description),
        });
      }
      return update(viewer, id, changes, versions);
    },

    async remove(viewer: Viewer, id: number, versions?: number[]): Promise<WriteResult<{ id: number }>> {
      const [row] = await removeStatement(versions !== undefined).execute(writeParams(viewer, id, versions));
      if (row) return { status: 'ok', row };
      return explainMissedWrite(versions, async () => (await find(viewer.userId, id)) !== undefined);
    },
  };
}
