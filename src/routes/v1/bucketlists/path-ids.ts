/**
 * Path ids in plain decimal only. The params validator coerces text to numbers the way
 * JavaScript does, which would also read `01`, `+1`, `1e0`, `1.0`, `0x1` or ` 1` as the id 1:
 * one resource under many URLs (and many cache keys). Those spellings are a 400, as `abc` is.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { validationError } from '../../../errors.js';

// Canonical integers only; range checks (positive, 32-bit) stay with the params schema.
const DECIMAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** preValidation hook for routes whose path parameters are all ids. */
export function rejectNonDecimalIds(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  const params = request.params as Record<string, string>;
  const malformed = Object.keys(params).filter((name) => !DECIMAL_INTEGER.test(params[name] ?? ''));
  if (malformed.length === 0) return done();
  const issues = malformed.map((name) => ({ path: `/${name}`, message: 'must be integer' }));
  throw validationError(issues.map((issue) => `params${issue.path} ${issue.message}`).join('; '), issues);
}
