/**
 * Items. Every query names the item, its bucketlist and its owner, so an item asked for under
 * another bucketlist, or another user's, is simply not found. The bucketlist's item_count is
 * kept by triggers (see drizzle/0001_item_count_triggers.sql). The caller's statements also
 * require the caller's session to be active (see src/repositories/sessions.ts).
 */
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { and, eq, like, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { foldCase } from '../db/folding.js';
import { items, nextUpdatedAt } from '../db/schema.js';
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
  id: items.id,
  bucketlistId: items.bucketlistId,
  name: items.name,
  done: items.done,
  version: items.version,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};

export type ItemRow = SelectResultFields<typeof PRESENTED>;

export interface ItemScope {
  ownerId: number;
  bucketlistId: number;
}

/** The scope of a write or a list: the caller's bucketlist, and the caller's session, which must be active. */
export interface SessionScope extends ItemScope {
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

/** The items of one of the caller's bucketlists, optionally filtered by name and state. */
const scopedMatching = (
  scope: { ownerId: Param<number>; bucketlistId: Param<number> },
  pattern: Param<string> | undefined,
  done: Param<boolean> | undefined,
) =>
  and(
    eq(items.bucketlistId, scope.bucketlistId),
    eq(items.ownerId, scope.ownerId),
    pattern === undefined ? undefined : like(items.nameFolded, pattern),
    done === undefined ? undefined : eq(items.done, done),
  );

const FOREIGN_KEY_VIOLATION = '23503';

/** What an update sets: some of the fields (a name with its folded copy). */
type Changes = { name?: string; nameFolded?: string; done?: boolean };

export function createItemRepository(db: Database) {
  // The item, under its bucketlist and owner.
  const scopedById = and(
    eq(items.id, sql.placeholder('id')),
    scopedMatching(
      { ownerId: sql.placeholder('ownerId'), bucketlistId: sql.placeholder('bucketlistId') },
      undefined,
      undefined,
    ),
  );
  const byId = db.select(PRESENTED).from(items).where(scopedById).prepare('items_by_id');
  const activeViewer = sessionIsActive(sql.placeholder('sessionId'), sql.placeholder('ownerId'));
  const visibleById = db
    .select(PRESENTED)
    .from(items)
    .where(and(scopedById, activeViewer))
    .prepare('items_visible_by_id');
  const insert = db
    .insert(items)
    .values({
      bucketlistId: sql.placeholder('bucketlistId'),
      ownerId: ownerOfActiveSession(sql.placeholder('sessionId'), sql.placeholder('ownerId')),
      name: sql.placeholder('name'),
      nameFolded: sql.placeholder('nameFolded'),
      done: sql.placeholder('done'),
    })
    .returning(PRESENTED)
    .prepare('items_insert');

  const listStatement = preparedPerShape(
    (sort: string, searching: boolean, filteringDone: boolean, shape: keyset.KeysetShape) => {
      const scope = { ownerId: sql.placeholder('ownerId'), bucketlistId: sql.placeholder('bucketlistId') };
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

  const find = async (scope: ItemScope, id: number) => (await byId.execute({ id, ...scope }))[0];

  // The item of this id in the scope, at one of the If-Match versions when `versioned`, while the
  // caller's session is active.
  const writable = (versioned: boolean) =>
    and(scopedById, versioned ? versionIn(items.version, sql.placeholder('versions')) : undefined, activeViewer);
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
    return explainMissedWrite(versions, async () => (await find(scope, id)) !== undefined);
  }

  const named = (name: string) => ({ name, nameFolded: foldCase(name) });

  return {
    find,

    /** The item, if it is in the viewer's bucketlist and the viewer's session is active (one statement). */
    async findVisible(viewer: Viewer, bucketlistId: number, id: number) {
      const [row] = await visibleById.execute({
        id,
        bucketlistId,
        ownerId: viewer.userId,
        sessionId: viewer.sessionId,
      });
      return row;
    },

    /**
     * The new item, or undefined when nothing was written: the bucketlist is not the caller's (the
     * foreign key says so), or the caller's session is not active.
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
     * A page of the bucketlist's items, in one statement that also requires the viewer's session
     * to be active. An item carries its bucketlist's owner (a foreign key to the bucketlist's id
     * and owner), so any row found shows that the bucketlist is the viewer's. An empty page shows
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
      return explainMissedWrite(versions, async () => (await find(scope, id)) !== undefined);
    },
  };
}
