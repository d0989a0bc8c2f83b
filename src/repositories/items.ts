/**
 * Items. Every query names the item, its bucketlist and the caller's access to that bucketlist
 * (src/repositories/access.ts), so an item asked for under another bucketlist, or under one the
 * caller may not see, is simply not found. The bucketlist's item_count is
 * kept by triggers (see drizzle/0001_item_count_triggers.sql). The caller's statements also
 * require the caller's session to be active (see src/repositories/sessions.ts).
 */
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { and, eq, like, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { foldCase } from '../db/folding.js';
import { bucketlists, items, nextUpdatedAt } from '../db/schema.js';
import { accessOf, mayEdit, mayRead, roleOn } from './access.js';
import * as keyset from './keyset.js';
import { canMatchStoredText, containsPattern } from './search.js';
import { NOT_NULL_VIOLATION, sessionIsActive, type Viewer } from './sessions.js';
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
  id: items.id,
  bucketlistId: items.bucketlistId,
  name: items.name,
  done: items.done,
  version: items.version,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};

export type ItemRow = SelectResultFields<typeof PRESENTED>;

/** The scope of a write or a list: a bucketlist, the caller, and the caller's session, which must be active. */
export interface SessionScope {
  userId: number;
  bucketlistId: number;
  sessionId: string;
}

export interface ItemListOptions {
  page: number;
  pageSize: number;
  sort: string;
  q?: string;
  done?: boolean;
  /** Continue from this boundary row (cursor pagination) instead of skipping to `page`. */
  after?: keyset.Keyset;
}

const SORT_COLUMNS = {
  id: items.id,
  name: collateC(items.nameFolded),
  created_at: items.createdAt,
  updated_at: items.updatedAt,
  done: items.done,
};

type Param<T> = T | Placeholder;

/** The items of a bucketlist the caller may see, optionally filtered by name and state. */
const scopedMatching = (
  scope: { userId: Param<number>; bucketlistId: Param<number> },
  pattern: Param<string> | undefined,
  done: Param<boolean> | undefined,
) =>
  and(
    eq(items.bucketlistId, scope.bucketlistId),
    mayRead(scope.bucketlistId, items.ownerId, scope.userId),
    pattern === undefined ? undefined : like(items.nameFolded, pattern),
    done === undefined ? undefined : eq(items.done, done),
  );

const FOREIGN_KEY_VIOLATION = '23503';

/** What an update sets: some of the fields (a name with its folded copy). */
type Changes = { name?: string; nameFolded?: string; done?: boolean };

export function createItemRepository(db: Database) {
  const USER_ID = sql.placeholder('userId');
  const BUCKETLIST_ID = sql.placeholder('bucketlistId');
  const byId = and(eq(items.id, sql.placeholder('id')), eq(items.bucketlistId, BUCKETLIST_ID));
  // The item, under its bucketlist, which the caller may see.
  const scopedById = and(byId, mayRead(BUCKETLIST_ID, items.ownerId, USER_ID));
  const roleById = db
    .select({ role: roleOn(BUCKETLIST_ID, items.ownerId, USER_ID) })
    .from(items)
    .where(scopedById)
    .prepare('items_role_by_id');
  const activeViewer = sessionIsActive(sql.placeholder('sessionId'), USER_ID);
  const visibleById = db
    .select(PRESENTED)
    .from(items)
    .where(and(scopedById, activeViewer))
    .prepare('items_visible_by_id');
  const insert = db
    .insert(items)
    .values({
      bucketlistId: BUCKETLIST_ID,
      // The bucketlist's owner, while the caller may edit the bucketlist and its session is active;
      // otherwise NULL, which the NOT NULL constraint refuses: nothing is written.
      ownerId: sql`(select ${bucketlists.ownerId} from ${bucketlists} where ${and(
        eq(bucketlists.id, BUCKETLIST_ID),
        mayEdit(BUCKETLIST_ID, bucketlists.ownerId, USER_ID),
        activeViewer,
      )})`,
      name: sql.placeholder('name'),
      nameFolded: sql.placeholder('nameFolded'),
      done: sql.placeholder('done'),
    })
    .returning(PRESENTED)
    .prepare('items_insert');

  const listStatement = preparedPerShape(
    (sort: string, searching: boolean, filteringDone: boolean, shape: keyset.KeysetShape) => {
      const scope = { userId: USER_ID, bucketlistId: BUCKETLIST_ID };
      const matching = scopedMatching(
        scope,
        searching ? sql.placeholder('pattern') : undefined,
        filteringDone ? sql.placeholder('done') : undefined,
      );
      return db
        .select({ row: PRESENTED, total: pageTotal(db, items, matching) })
        .from(items)
        .where(and(matching, activeViewer, keyset.predicate(sort, SORT_COLUMNS, items.id, shape)))
        .orderBy(...keyset.order(sort, SORT_COLUMNS, items.id, shape))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset'))
        .prepare(`items_list_${sort}_${searching}_${filteringDone}${shape === 'none' ? '' : `_${shape}`}`);
    },
  );

  /** What the caller may do with the item: nothing when it is not there for them, or as its bucketlist role allows. */
  const accessTo = async (scope: SessionScope, id: number) =>
    accessOf((await roleById.execute({ id, userId: scope.userId, bucketlistId: scope.bucketlistId }))[0]?.role);

  // The item of this id in the scope, if the caller may edit its bucketlist, at one of the If-Match
  // versions when `versioned`, while the caller's session is active.
  const writable = (versioned: boolean) =>
    and(
      byId,
      mayEdit(BUCKETLIST_ID, items.ownerId, USER_ID),
      versioned ? versionIn(items.version, sql.placeholder('versions')) : undefined,
      activeViewer,
    );
  const updateStatement = preparedPerShape((fields: string, versioned: boolean) =>
    db
      .update(items)
      .set({
        ...placeholdersFor(fields.split(',') as (keyof Changes)[]),
        version: sql`${items.version} + 1`,
        updatedAt: nextUpdatedAt(items.updatedAt),
      })
      .where(writable(versioned))
      .returning(PRESENTED)
      .prepare(`items_update_${fields.replaceAll(',', '_')}_${versioned}`),
  );
  const removeStatement = preparedPerShape((versioned: boolean) =>
    db.delete(items).where(writable(versioned)).returning({ id: items.id }).prepare(`items_delete_${versioned}`),
  );
  const writeParams = (scope: SessionScope, id: number, versions: number[] | undefined) => ({
    ...scope,
    id,
    versions,
  });

  async function update(
    scope: SessionScope,
    id: number,
    changes: Changes,
    versions: number[] | undefined,
  ): Promise<WriteResult<ItemRow>> {
    const statement = updateStatement(Object.keys(changes).join(','), versions !== undefined);
    const [row] = await statement.execute({ ...writeParams(scope, id, versions), ...changes });
    if (row) return { status: 'ok', row };
    return explainMissedWrite(versions, () => accessTo(scope, id));
  }

  const named = (name: string) => ({ name, nameFolded: foldCase(name) });

  return {
    /** The item, if it is in a bucketlist the viewer may see and the viewer's session is active (one statement). */
    async findVisible(viewer: Viewer, bucketlistId: number, id: number) {
      const [row] = await visibleById.execute({
        id,
        bucketlistId,
        userId: viewer.userId,
        sessionId: viewer.sessionId,
      });
      return row;
    },

    /**
     * The new item, or undefined when nothing was written: the caller may not edit the bucketlist
     * (or it is gone), or the caller's session is not active.
     */
    async create(scope: SessionScope, values: { name: string; done: boolean }): Promise<ItemRow | undefined> {
      try {
        const [row] = await insert.execute({ ...scope, ...named(values.name), done: values.done });
        return row;
      } catch (error) {
        if (hasSqlState(error, FOREIGN_KEY_VIOLATION) || hasSqlState(error, NOT_NULL_VIOLATION)) return undefined;
        throw error;
      }
    },

    /**
     * A page of the bucketlist's items, in one statement that also requires the viewer's access
     * and session: any row found shows that the viewer may see the bucketlist. An empty page shows
     * nothing of the kind: the caller checks the bucketlist then.
     */
    async list(scope: SessionScope, options: ItemListOptions) {
      if (options.q && !canMatchStoredText(options.q)) return { rows: [], total: 0 };
      const statement = listStatement(
        options.sort,
        Boolean(options.q),
        options.done !== undefined,
        keyset.shapeOf(options.after),
      );
      const offset = options.after ? 0 : (options.page - 1) * options.pageSize;
      const pattern = options.q ? containsPattern(options.q) : undefined;
      const results = await statement.execute({
        ...scope,
        pattern,
        done: options.done,
        ...keyset.params(options.after),
        limit: options.pageSize,
        offset,
      });
      // Past a boundary rows were skipped as past an offset: an empty page still counts the rest.
      const page = await pageOf(results, options.after ? 1 : offset, () =>
        db.$count(items, scopedMatching(scope, pattern, options.done)),
      );
      return { rows: keyset.inListOrder(page.rows, options.after), total: page.total };
    },

    /** The boundary a cursor names for this row in this sort: its sort value and id. */
    boundaryOf(sort: string, row: ItemRow) {
      const values = {
        name: foldCase(row.name),
        created_at: row.createdAt,
        updated_at: row.updatedAt,
        done: row.done,
      };
      return { value: values[sort.replace(/^-/, '') as keyof typeof values] ?? row.id, id: row.id };
    },

    replace(scope: SessionScope, id: number, values: { name: string; done: boolean }, versions?: number[]) {
      return update(scope, id, { ...named(values.name), done: values.done }, versions);
    },

    patch(scope: SessionScope, id: number, values: { name?: string; done?: boolean }, versions?: number[]) {
      return update(
        scope,
        id,
        {
          ...(values.name === undefined ? {} : named(values.name)),
          ...(values.done === undefined ? {} : { done: values.done }),
        },
        versions,
      );
    },

    async remove(scope: SessionScope, id: number, versions?: number[]): Promise<WriteResult<{ id: number }>> {
      const [row] = await removeStatement(versions !== undefined).execute(writeParams(scope, id, versions));
      if (row) return { status: 'ok', row };
      return explainMissedWrite(versions, () => accessTo(scope, id));
    },
  };
}
