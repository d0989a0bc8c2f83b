/**
 * What the owner-scoped writes share: the outcome of a conditional write, the version
 * predicate an If-Match turns into, statements prepared per shape, and the list plumbing (sort,
 * page, total).
 */
import { type AnyColumn, asc, desc, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';

/** The outcome of an update or delete scoped to the caller's access and, optionally, to versions. */
export type WriteResult<T> =
  { status: 'ok'; row: T } | { status: 'not_found' } | { status: 'forbidden' } | { status: 'stale' };

/** What the caller may do with a row: nothing (for them it does not exist), read it only, or write it. */
export type Access = 'none' | 'read' | 'write';

/**
 * `version = any(…)`, for a write whose If-Match names versions. They are one array parameter, so
 * that one prepared statement serves any number of tags (none at all matches no row: the write is
 * then stale or not found).
 */
export const versionIn = (version: AnyColumn | SQL, versions: Placeholder): SQL => sql`${version} = any(${versions})`;

/**
 * A statement per shape of a query (which sort, which filters, which fields a write sets),
 * prepared on first use and reused after: PostgreSQL then parses and plans each shape once, and
 * Drizzle builds its SQL once. The shapes are few and fixed by the code, never by input values.
 */
export function preparedPerShape<Shape extends (string | boolean)[], Statement>(
  prepare: (...shape: Shape) => Statement,
): (...shape: Shape) => Statement {
  const statements = new Map<string, Statement>();
  return (...shape) => {
    const key = shape.join('|');
    let statement = statements.get(key);
    if (!statement) {
      statement = prepare(...shape);
      statements.set(key, statement);
    }
    return statement;
  };
}

/** A placeholder for each field a write sets, named after the field, to prepare the write once per set of fields. */
export const placeholdersFor = <Field extends string>(fields: readonly Field[]) =>
  Object.fromEntries(fields.map((field) => [field, sql`${sql.placeholder(field)}`])) as Record<Field, SQL>;

/**
 * Why a scoped write touched no row: the row is not there for the caller (404), or the caller may
 * only read it (403), or it exists at another version than If-Match named (412).
 */
export async function explainMissedWrite(
  versions: number[] | undefined,
  access: () => Promise<Access>,
): Promise<{ status: 'not_found' } | { status: 'forbidden' } | { status: 'stale' }> {
  const found = await access();
  if (found === 'none') return { status: 'not_found' };
  if (found === 'read') return { status: 'forbidden' };
  return versions === undefined ? { status: 'not_found' } : { status: 'stale' };
}

/** ORDER BY for a `sort` value (`name` or `-name`), with the id as tie-breaker in the same direction. */
export function orderBy(sort: string, columns: Record<string, AnyColumn | SQL>, id: AnyColumn): SQL[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const direction = descending ? desc : asc;
  const column = columns[field] ?? id;
  return column === id ? [direction(id)] : [direction(column), direction(id)];
}

/** Names sort case-insensitively and byte-wise, identically on both databases. */
export const collateC = (column: AnyColumn) => sql`${column} collate "C"`;

/**
 * A page's total, in the page's own statement: `(select count(*) … where <the page's filter>)`.
 * PostgreSQL runs the uncorrelated subquery once per statement, from an index alone where it can.
 * A window count (`count(*) over()`) would read every matching row with all its columns.
 */
export const pageTotal = (db: Database, table: PgTable, where: SQL | undefined) => db.$count(table, where);

/** True when the error (or the error Drizzle wraps) is the given SQLSTATE. */
export function hasSqlState(error: unknown, state: string): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === state) return true;
    current = current.cause;
  }
  return false;
}

/** A page's rows and the total of all pages, from a list statement's `{ row, total }` results. */
export async function pageOf<Row>(
  results: { row: Row; total: number }[],
  offset: number,
  countAll: () => Promise<number>,
): Promise<{ rows: Row[]; total: number }> {
  // Past the last page the statement's count has no row to ride on: count separately.
  const total = results[0]?.total ?? (offset > 0 ? await countAll() : 0);
  return { rows: results.map((result) => result.row), total };
}
