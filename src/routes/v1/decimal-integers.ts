/**
 * Integers in paths and queries in plain decimal only. The validator coerces text to numbers the
 * way JavaScript does, which would also read `01`, `+1`, `1e0`, `1.0`, `0x1` or ` 1` as 1: one
 * resource under many URLs (and many cache keys), and `page_size=0x10` echoed back in a Link.
 * Those spellings are a 400, as `abc` is.
 */
import { KindGuard, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { notFound, validationError } from '../../errors.js';
import type { ValidationIssueBody } from '../../schemas/common.js';

// Canonical integers only; range checks (positive, 32-bit, page sizes) stay with the schemas.
const DECIMAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

type Part = 'params' | 'querystring';

/** The names of the integer fields of a request part's object schema. */
function integerFields(schema: unknown): string[] {
  if (!KindGuard.IsObject(schema as TSchema)) return [];
  const { properties } = schema as { properties: Record<string, TSchema> };
  return Object.keys(properties).filter((name) => KindGuard.IsInteger(properties[name]));
}

/** The preValidation hook that checks the spelling of these fields, each a string until validated. */
function decimalSpellingCheck(fields: { part: Part; name: string }[]) {
  return function rejectNonDecimalIntegers(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    const issues: ValidationIssueBody[] = [];
    const details: string[] = [];
    for (const { part, name } of fields) {
      const value = (part === 'params' ? request.params : request.query) as Record<string, unknown>;
      const given = value[name];
      // An empty path segment (`/v1/bucketlists/`) names no resource at all.
      if (part === 'params' && given === '') throw notFound();
      // Absent, or repeated (an array): the schema's own checks answer those.
      if (typeof given !== 'string' || DECIMAL_INTEGER.test(given)) continue;
      issues.push({ path: `/${name}`, message: 'must be integer' });
      details.push(`${part}/${name} must be integer`);
    }
    if (issues.length === 0) return done();
    throw validationError(details.join('; '), issues);
  };
}

/** onRoute hook: a route with integer path or query fields gets the spelling check before validation. */
export function requireDecimalIntegers(route: RouteOptions) {
  const fields = (['params', 'querystring'] as const).flatMap((part) =>
    integerFields(route.schema?.[part]).map((name) => ({ part, name })),
  );
  if (fields.length === 0) return;
  route.preValidation = [decimalSpellingCheck(fields), ...[route.preValidation ?? []].flat()];
}
