/**
 * Keyset ("seek") pagination for the lists: instead of OFFSET, a page starts just after (or, read
 * backwards, just before) a boundary row, named by its sort value and id. The predicate is a row
 * comparison in the list's own order, `(sort column, id) > (value, id)`, so PostgreSQL reads only
 * the page's rows where an index has that order, however deep the page, and rows inserted
 * meanwhile never shift a page.
 */
import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { orderBy } from './writes.js';

/** A page's boundary: the sort value and id of the row it continues from, and which way. */
export interface Keyset {
  value: string | number | boolean;
  id: number;
  direction: 'next' | 'prev';
}

/** The keyset a list statement is prepared for: none (first or numbered page), or one direction. */
export type KeysetShape = Keyset['direction'] | 'none';

export const shapeOf = (after: Keyset | undefined): KeysetShape => after?.direction ?? 'none';

const reversed = (sort: string) => (sort.startsWith('-') ? sort.slice(1) : `-${sort}`);

/** The rows past the boundary, in the direction of the keyset; undefined without one. */
export function predicate(
  sort: string,
  columns: Record<string, AnyColumn | SQL>,
  id: AnyColumn,
  shape: KeysetShape,
): SQL | undefined {
  if (shape === 'none') return undefined;
  const descending = sort.startsWith('-');
  const column = columns[descending ? sort.slice(1) : sort] ?? id;
  const operator = (shape === 'next') !== descending ? sql.raw('>') : sql.raw('<');
  if (column === id) return sql`${id} ${operator} ${sql.placeholder('afterId')}`;
  return sql`(${column}, ${id}) ${operator} (${sql.placeholder('afterValue')}, ${sql.placeholder('afterId')})`;
}

/** ORDER BY for the shape: a page read backwards is fetched in reverse order (see `inListOrder`). */
export const order = (sort: string, columns: Record<string, AnyColumn | SQL>, id: AnyColumn, shape: KeysetShape) =>
  orderBy(shape === 'prev' ? reversed(sort) : sort, columns, id);

/** The statement parameters of the boundary. */
export const params = (after: Keyset | undefined) =>
  after ? { afterValue: after.value, afterId: after.id } : { afterValue: undefined, afterId: undefined };

/** The rows in the list's order again, after a backward read. */
export const inListOrder = <Row>(rows: Row[], after: Keyset | undefined) =>
  after?.direction === 'prev' ? rows.reverse() : rows;
