/**
 * Typed API errors with stable codes. Routes and plugins throw these; the errors plugin renders
 * every one of them (and every framework error) as an RFC 9457 problem.
 */
import type { ProblemCodeValue, ValidationIssueBody } from './schemas/common.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ProblemCodeValue,
    detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: ValidationIssueBody[],
  ) {
    super(detail);
  }
}

export const validationError = (detail: string, errors: ValidationIssueBody[]) =>
  new ApiError(400, 'validation_error', detail, {}, errors);

export const unauthorized = (detail = 'A valid bearer token is required.') =>
  // RFC 6750 §3: a 401 names the scheme the client should use.
  new ApiError(401, 'unauthorized', detail, { 'www-authenticate': 'Bearer realm="bucketlist-api"' });

/** RFC 6750 §3.1: a token was presented but is invalid, expired or revoked. */
export const invalidToken = (detail: string) =>
  new ApiError(401, 'unauthorized', detail, {
    'www-authenticate': 'Bearer realm="bucketlist-api", error="invalid_token"',
  });

/** The token is valid, but its session was revoked (logout, refresh-token reuse). */
export const sessionEnded = () => invalidToken('The session has ended; log in again.');

export const invalidCredentials = () =>
  new ApiError(401, 'unauthorized', 'The email or password is incorrect.', {
    'www-authenticate': 'Bearer realm="bucketlist-api"',
  });

/** Authenticated, but the caller's role does not allow this (OWASP API5: function-level authorization). */
export const forbidden = (detail: string) => new ApiError(403, 'forbidden', detail);

export const notFound = (what = 'The resource') => new ApiError(404, 'not_found', `${what} was not found.`);

export const conflict = (detail: string) => new ApiError(409, 'conflict', detail);

export const preconditionFailed = () =>
  new ApiError(412, 'precondition_failed', 'The resource has changed: If-Match does not name its current ETag.');

export const notAcceptable = () =>
  new ApiError(406, 'not_acceptable', 'This API only produces application/json (and application/problem+json).');

export const methodNotAllowed = (method: string, allowed: string[]) =>
  new ApiError(405, 'method_not_allowed', `${method} is not allowed here; allowed: ${allowed.join(', ')}.`, {
    allow: allowed.join(', '),
  });

export const serviceUnavailable = (detail = 'The service is temporarily unavailable; try again shortly.') =>
  new ApiError(503, 'service_unavailable', detail, { 'retry-after': '5' });

/** The database cannot grow its files (SQLSTATE 53100, disk_full): writes fail, reads go on. */
export const storageFull = () =>
  new ApiError(
    503,
    'service_unavailable',
    'The database has no storage space left; writes fail until space is freed.',
    { 'retry-after': '60' },
  );
