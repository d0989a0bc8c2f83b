/** Pages: the `{ items, page, page_size, total }` body and its RFC 8288 Link header. */
import type { FastifyReply, FastifyRequest } from 'fastify';

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
