/**
 * Bucketlists. Every query carries the caller's access in its WHERE clause (owner, or member
 * through src/repositories/access.ts), so a bucketlist the caller may not see is
 * indistinguishable from a missing one; If-Match versions go into the same statement as the write. The caller's statements also require the caller's session to be
 * active, so that a request needs no separate session query (see src/repositories/sessions.ts).
 */
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { and, eq, like, or, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { foldCase, foldNullable } from '../db/folding.js';
import { bucketlists, memberships, nextUpdatedAt } from '../db/schema.js';
import { accessOf, mayEdit, mayRead, roleOn } from './access.js';
import { presentedItemCount, presentedVersion } from './item-counts.js';
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

// The caller, in every statement: its own bucketlists and those shared with it.
const USER_ID = sql.placeholder('userId');

/** A bucketlist's own fields as presented (timestamps as RFC 3339 text) and its version: what exports copy. */
export const BUCKETLIST_FIELDS = {
  id: bucketlists.id,
  name: bucketlists.name,
  description: bucketlists.description,
  itemCount: presentedItemCount,
  version: presentedVersion,
  createdAt: bucketlists.createdAt,
  updatedAt: bucketlists.updatedAt,
};

/** What reads and writes return: the bucketlist's fields, its owner and the caller's role on it. */
const PRESENTED = {
  ...BUCKETLIST_FIELDS,
  ownerId: bucketlists.ownerId,
  role: roleOn(bucketlists.id, bucketlists.ownerId, USER_ID),
};

export type BucketlistRow = SelectResultFields<typeof PRESENTED>;

/** Which bucketlists a list shows: the caller's own, those shared with the caller, or both. */
export type BucketlistScope = 'owned' | 'shared' | 'all';

export interface BucketlistListOptions {
  scope: BucketlistScope;
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

/** The bucketlists in the caller's scope, optionally only those whose name or description contains the pattern. */
const visibleMatching = (
  scope: BucketlistScope,
  userId: number | Placeholder,
  pattern: string | Placeholder | undefined,
) => {
  const owned = eq(bucketlists.ownerId, userId);
  const shared = sql`${bucketlists.id} in (select ${memberships.bucketlistId} from ${memberships} where ${memberships.userId} = ${userId})`;
  return and(
    scope === 'owned' ? owned : scope === 'shared' ? shared : or(owned, shared),
    pattern === undefined
      ? undefined
      : or(like(bucketlists.nameFolded, pattern), like(bucketlists.descriptionFolded, pattern)),
  );
};

export function createBucketlistRepository(db: Database) {
  const byId = eq(bucketlists.id, sql.placeholder('id'));
  const activeViewer = sessionIsActive(sql.placeholder('sessionId'), USER_ID);
  const readable = and(byId, mayRead(sql.placeholder('id'), bucketlists.ownerId, USER_ID));
  const visibleById = db
    .select(PRESENTED)
    .from(bucketlists)
    .where(and(readable, activeViewer))
    .prepare('bucketlists_visible_by_id');
  const roleById = db
    .select({ role: PRESENTED.role })
    .from(bucketlists)
    .where(readable)
    .prepare('bucketlists_role_by_id');
  const insert = db
    .insert(bucketlists)
    .values({
      ownerId: ownerOfActiveSession(sql.placeholder('sessionId'), USER_ID),
      name: sql.placeholder('name'),
      description: sql.placeholder('description'),
      nameFolded: sql.placeholder('nameFolded'),
      descriptionFolded: sql.placeholder('descriptionFolded'),
    })
    .returning(PRESENTED)
    .prepare('bucketlists_insert');

  const listStatement = preparedPerShape(
    (scope: BucketlistScope, sort: string, searching: boolean, shape: keyset.KeysetShape) => {
      const matching = visibleMatching(scope, USER_ID, searching ? sql.placeholder('pattern') : undefined);
      return db
        .select({ row: PRESENTED, total: pageTotal(db, bucketlists, matching) })
        .from(bucketlists)
        .where(and(matching, activeViewer, keyset.predicate(sort, SORT_COLUMNS, bucketlists.id, shape)))
        .orderBy(...keyset.order(sort, SORT_COLUMNS, bucketlists.id, shape))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset'))
        .prepare(`bucketlists_list_${scope}_${sort}_${searching}${shape === 'none' ? '' : `_${shape}`}`);
    },
  );

  /** The caller's role on the bucketlist, or undefined when the caller may not see it. */
  const roleOf = async (userId: number, id: number) => (await roleById.execute({ id, userId }))[0]?.role;
  const accessTo = async (userId: number, id: number) => accessOf(await roleOf(userId, id));

  // The bucketlist of this id, if the caller may change it (owner, or editor unless `ownerOnly`),
  // at one of the If-Match versions when `versioned`, while the caller's session is active.
  const writable = (versioned: boolean, ownerOnly: boolean) =>
    and(
      byId,
      ownerOnly ? eq(bucketlists.ownerId, USER_ID) : mayEdit(sql.placeholder('id'), bucketlists.ownerId, USER_ID),
      versioned ? versionIn(presentedVersion, sql.placeholder('versions')) : undefined,
      activeViewer,
    );
  const updateStatement = preparedPerShape((fields: string, versioned: boolean) =>
    db
      .update(bucketlists)
      .set({
        ...placeholdersFor(fields.split(',') as (keyof Changes)[]),
        version: sql`${bucketlists.version} + 1`,
        updatedAt: nextUpdatedAt(bucketlists.updatedAt),
      })
      .where(writable(versioned, false))
      .returning(PRESENTED)
      .prepare(`bucketlists_update_${fields.replaceAll(',', '_')}_${versioned}`),
  );
  const removeStatement = preparedPerShape((versioned: boolean) =>
    db
      .delete(bucketlists)
      .where(writable(versioned, true))
      .returning({ id: bucketlists.id })
      .prepare(`bucketlists_delete_${versioned}`),
  );
  const writeParams = (viewer: Viewer, id: number, versions: number[] | undefined) => ({
    id,
    userId: viewer.userId,
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
    return explainMissedWrite(versions, () => accessTo(viewer.userId, id));
  }

  return {
    roleOf,

    /** The bucketlist, if the viewer may see it and the viewer's session is active (one statement). */
    async findVisible(viewer: Viewer, id: number) {
      const [row] = await visibleById.execute({ id, userId: viewer.userId, sessionId: viewer.sessionId });
      return row;
    },

    /** The new bucketlist, or undefined when the viewer's session is not active (nothing is written). */
    async create(viewer: Viewer, values: { name: string; description: string | null }) {
      try {
        const [row] = await insert.execute({
          userId: viewer.userId,
          sessionId: viewer.sessionId,
          ...searchable(values),
        });
        return row as BucketlistRow;
      } catch (error) {
        if (hasSqlState(error, NOT_NULL_VIOLATION)) return undefined;
        throw error;
      }
    },

    /** A page of the bucketlists in the viewer's scope; empty when the viewer's session is not active. */
    async list(viewer: Viewer, options: BucketlistListOptions) {
      const userId = viewer.userId;
      if (options.q && !canMatchStoredText(options.q)) return { rows: [], total: 0 };
      const statement = listStatement(options.scope, options.sort, Boolean(options.q), keyset.shapeOf(options.after));
      const offset = options.after ? 0 : (options.page - 1) * options.pageSize;
      const pattern = options.q ? containsPattern(options.q) : undefined;
      const results = await statement.execute({
        userId,
        sessionId: viewer.sessionId,
        pattern,
        ...keyset.params(options.after),
        limit: options.pageSize,
        offset,
      });
      // Past a boundary rows were skipped as past an offset: an empty page still counts the rest.
      const page = await pageOf(results, options.after ? 1 : offset, () =>
        db.$count(bucketlists, visibleMatching(options.scope, userId, pattern)),
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

    /** Deletes the bucketlist: its owner only (an editor or viewer is refused). */
    async remove(viewer: Viewer, id: number, versions?: number[]): Promise<WriteResult<{ id: number }>> {
      const [row] = await removeStatement(versions !== undefined).execute(writeParams(viewer, id, versions));
      if (row) return { status: 'ok', row };
      return explainMissedWrite(versions, async () => {
        const role = await roleOf(viewer.userId, id);
        return role === undefined ? 'none' : role === 'owner' ? 'write' : 'read';
      });
    },
  };
}
