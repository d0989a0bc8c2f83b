/**
 * Conditional requests (RFC 9110 §13): strong ETags derived from a row's version, 304 for a
 * current If-None-Match, and the versions an If-Match allows, for the write's WHERE clause.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, notFound, preconditionFailed } from '../../errors.js';
import type { WriteResult } from '../../repositories/writes.js';

/**
 * A row's tag; `variant` (see tagVariant()) tells apart the representations of the same row in
 * different API versions.
 */
export const etagOf = (row: { id: number; version: number }, variant = '') => `"${row.id}-${row.version}${variant}"`;

/** The version part of a tag as etagOf() writes it: plain decimal, 32-bit. */
const CANONICAL_VERSION = /^(0|[1-9][0-9]{0,8})$/;

const listedTags = (header: string) => header.split(',').map((tag) => tag.trim());

/**
 * Sends the ETag; true when the client's copy is current and the reply should be 304.
 * If-None-Match compares weakly (RFC 9110 §13.1.2), so W/"x" matches "x".
 */
export function isNotModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag);
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return listedTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === etag);
}

/**
 * Answers 304 with no content at all (RFC 9110 §15.4.5): `send(null)` would serialize `null`,
 * sending a Content-Length of 4 that is not the length of the 200's content (§8.6).
 */
export const sendNotModified = (reply: FastifyReply) => reply.code(304).send();

/**
 * The versions If-Match allows (RFC 9110 §13.1.1, strong comparison): undefined when any
 * version will do (no header, or `*`); otherwise those of the listed tags that name this row in
 * the representation the request gets (its `variant`), possibly none, in which case the write
 * must fail with 412.
 */
export function allowedVersions(request: FastifyRequest, id: number, variant = ''): number[] | undefined {
  const header = request.headers['if-match'];
  if (!header || header.trim() === '*') return undefined;
  const prefix = `"${id}-`;
  const suffix = `${variant}"`;
  // Strong comparison is character for character: only the spelling etagOf() sends names a
  // version, so `"7-01"` is not the tag `"7-1"`.
  return listedTags(header)
    .filter((tag) => tag.startsWith(prefix) && tag.endsWith(suffix))
    .map((tag) => tag.slice(prefix.length, tag.length - suffix.length))
    .filter((version) => CANONICAL_VERSION.test(version))
    .map(Number);
}

/** The written row, or the 404 / 403 / 412 problem the outcome calls for. */
export function writtenRow<T>(outcome: WriteResult<T>, what: string): T {
  if (outcome.status === 'not_found') throw notFound(what);
  if (outcome.status === 'forbidden') throw forbidden(`Your role on this bucketlist does not allow this.`);
  if (outcome.status === 'stale') throw preconditionFailed();
  return outcome.row;
}
