/** Pages: the `{ items, page, page_size, total }` body and its RFC 8288 Link header, by page number or by cursor. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validationError } from '../../errors.js';
import type { Keyset } from '../../repositories/keyset.js';

interface PageQuery {
  page: number;
  page_size: number;
}

/**
 * The list query with its defaults: the validator (Ajv's useDefaults) has filled them in before
 * the handler runs; the schema marks them optional only so that clients may omit them.
 */
export const withDefaults = <Q extends { page?: number; page_size?: number; sort?: string }>(query: Q) =>
  query as Q & PageQuery & { sort: string };

/** A link to another page of the same list, keeping every other query parameter. */
function pageLink(request: FastifyRequest, page: number, rel: 'next' | 'prev') {
  const url = new URL(request.url, 'http://localhost');
  url.searchParams.set('page', String(page));
  return `<${url.pathname}${url.search}>; rel="${rel}"`;
}

export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, query: PageQuery, rows: T[], total: number) {
  const lastPage = Math.max(1, Math.ceil(total / query.page_size));
  const links: string[] = [];
  if (query.page < lastPage) links.push(pageLink(request, query.page + 1, 'next'));
  // Only pages that exist: just past the end the previous page is the last one; further out the
  // previous page does not exist either.
  if (query.page > 1 && query.page - 1 <= lastPage) links.push(pageLink(request, query.page - 1, 'prev'));
  if (links.length > 0) reply.header('link', links.join(', '));
  return { items: rows, page: query.page, page_size: query.page_size, total };
}

/**
 * Cursors: opaque, signed positions in a list. A cursor names the boundary row of the page it
 * continues from (sort value and id), the direction, the page number it leads to, and the
 * ordering and filters it belongs to; an HMAC under a key derived from the server's secret makes
 * it tamper-proof, so its values can go into the keyset predicate as they are.
 */
interface CursorPayload {
  /** The page number the cursor leads to (informative: rows inserted meanwhile shift numbers, not pages). */
  p: number;
  s: string;
  f: string;
  v: Keyset['value'];
  i: number;
  d: Keyset['direction'];
}

interface ListQuery extends PageQuery {
  sort: string;
  q?: string;
  done?: boolean;
  scope?: string;
  cursor?: string;
}

/** Where a list request reads: a page number (page mode), or the first page or a boundary (cursor mode). */
export interface ListPosition {
  page: number;
  after?: Keyset;
  cursorMode: boolean;
  /** Rows to fetch: in cursor mode one more than the page, to know whether another page follows. */
  limit: number;
}

const filtersOf = (query: ListQuery) =>
  createHash('sha256')
    .update(JSON.stringify([query.q ?? null, query.done ?? null, query.scope ?? null]))
    .digest('base64url')
    .slice(0, 12);

const invalidCursor = (detail: string) =>
  validationError(detail, [{ path: '/cursor', message: 'is not a cursor of this list' }]);

export function cursorCodec(secret: string) {
  const key = createHmac('sha256', secret).update('bucketlist-api list cursors').digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url').slice(0, 22);

  const encode = (payload: CursorPayload) => {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${sign(body)}`;
  };

  const decode = (text: string): CursorPayload | undefined => {
    const [body = '', signature = '', ...rest] = text.split('.');
    const expected = Buffer.from(sign(body));
    const given = Buffer.from(signature);
    if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
  };

  /** The position a list request asks for; a cursor that is forged or of another list is a 400. */
  function positionOf(query: ListQuery): ListPosition {
    if (query.cursor === undefined) return { page: query.page, cursorMode: false, limit: query.page_size };
    // An empty cursor starts cursor mode at the first page.
    if (query.cursor === '') return { page: 1, cursorMode: true, limit: query.page_size + 1 };
    const payload = decode(query.cursor);
    if (!payload) throw invalidCursor('The cursor is not valid: use the links of a previous page as they are.');
    if (payload.s !== query.sort || payload.f !== filtersOf(query)) {
      throw invalidCursor('The cursor belongs to another ordering or other filters than this request has.');
    }
    return {
      page: payload.p,
      after: { value: payload.v, id: payload.i, direction: payload.d },
      cursorMode: true,
      limit: query.page_size + 1,
    };
  }

  /** A link to the page on the other side of the boundary row, in cursor mode. */
  function cursorLink(
    request: FastifyRequest,
    query: ListQuery,
    page: number,
    boundary: { value: Keyset['value']; id: number },
    rel: Keyset['direction'],
  ) {
    const url = new URL(request.url, 'http://localhost');
    url.searchParams.delete('page');
    const cursor = encode({ p: page, s: query.sort, f: filtersOf(query), v: boundary.value, i: boundary.id, d: rel });
    url.searchParams.set('cursor', cursor);
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
  }

  /**
   * The page body and Link header of a list: page links in page mode (sendPage), cursor links in
   * cursor mode. `rows` are what the list statement returned for `position.limit`.
   */
  function sendList<Row, Shown>(
    request: FastifyRequest,
    reply: FastifyReply,
    query: ListQuery,
    position: ListPosition,
    result: { rows: Row[]; total: number },
    boundaryOf: (row: Row) => { value: Keyset['value']; id: number },
    present: (row: Row) => Shown,
  ) {
    if (!position.cursorMode) return sendPage(request, reply, query, result.rows.map(present), result.total);
    const size = query.page_size;
    const more = result.rows.length > size;
    // The extra row lies beyond the page in the direction it was read: after it, or (read backwards) before it.
    const backwards = position.after?.direction === 'prev';
    const rows = more ? (backwards ? result.rows.slice(-size) : result.rows.slice(0, size)) : result.rows;
    const first = rows[0];
    const last = rows.at(-1);
    const links: string[] = [];
    const hasNext = backwards || more;
    const hasPrev = backwards ? more : position.after !== undefined;
    if (last && hasNext) links.push(cursorLink(request, query, position.page + 1, boundaryOf(last), 'next'));
    if (first && hasPrev) {
      links.push(cursorLink(request, query, Math.max(1, position.page - 1), boundaryOf(first), 'prev'));
    }
    if (links.length > 0) reply.header('link', links.join(', '));
    return { items: rows.map(present), page: position.page, page_size: size, total: result.total };
  }

  return { positionOf, sendList };
}
