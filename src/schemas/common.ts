/**
 * Shapes shared by every resource: the RFC 9457 Problem, ids, timestamps, pages and the
 * helpers that turn named schemas into `$ref`s (so the OpenAPI document names its components).
 */
import { STATUS_CODES } from 'node:http';
import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** A `$ref` to a named schema, typed as the schema itself. */
export function ref<T extends TSchema>(schema: T) {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

export const MAX_INT32 = 2_147_483_647;

export const Id = Type.Integer({ minimum: 1, maximum: MAX_INT32, description: 'A positive integer id.' });

export const Timestamp = Type.String({
  format: 'date-time',
  description: 'An RFC 3339 timestamp in UTC with milliseconds.',
  examples: ['2026-11-21T10:00:00.000Z'],
});

/*
 * Text the database stores unchanged: no U+0000 (PostgreSQL text cannot hold it) and no unpaired
 * UTF-16 surrogate (not Unicode text; it would come back as U+FFFD). Ajv compiles patterns with
 * the `u` flag, so the surrogate range matches only unpaired ones. Both patterns are linear-time:
 * Ajv reports every error, so they run even on a string far over its maxLength.
 */
export const STORABLE_TEXT = '^[^\\u0000\\uD800-\\uDFFF]*$';
export const NON_BLANK_STORABLE_TEXT = '^\\s*[^\\s\\u0000\\uD800-\\uDFFF][^\\u0000\\uD800-\\uDFFF]*$';

/**
 * One of a few strings, as `{ type: string, enum }`: the same document as a union of literals, but
 * fast-json-stringify writes it as a plain string, where a union (anyOf) is tried branch by branch
 * on every response.
 */
export const StringEnum = <T extends string>(values: readonly T[], options: { description: string; default?: T }) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

/** A name: required, with at least one non-whitespace character. */
export const NonBlankString = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, pattern: NON_BLANK_STORABLE_TEXT, description });

/** Free text of at most `maxLength` characters. */
export const StorableString = (maxLength: number) => Type.String({ maxLength, pattern: STORABLE_TEXT });

export const ProblemCode = Type.Union(
  [
    'validation_error',
    'unauthorized',
    'forbidden',
    'not_found',
    'method_not_allowed',
    'conflict',
    'idempotency_key_in_use',
    'idempotency_key_reused',
    'precondition_failed',
    'payload_too_large',
    'unsupported_media_type',
    'not_acceptable',
    'rate_limited',
    'internal_error',
    'service_unavailable',
  ].map((code) => Type.Literal(code)),
  { $id: 'ProblemCode', description: 'A stable, machine-readable error code.' },
);

export const ValidationIssue = Type.Object(
  {
    path: Type.String({ description: 'JSON Pointer (RFC 6901) to the failing value inside its request part.' }),
    message: Type.String(),
  },
  { $id: 'ValidationIssue', additionalProperties: false },
);

export type ValidationIssueBody = Static<typeof ValidationIssue>;

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI reference identifying the problem type.', examples: ['about:blank'] }),
    title: Type.String({ description: 'The HTTP status phrase.' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String({ description: 'A human-readable explanation of this occurrence.' }),
    code: ref(ProblemCode),
    instance: Type.Optional(Type.String({ description: 'The request id of this occurrence.' })),
    errors: Type.Optional(Type.Array(ref(ValidationIssue), { description: 'One entry per failed field.' })),
  },
  {
    $id: 'Problem',
    additionalProperties: false,
    description: 'An RFC 9457 problem details object, served as application/problem+json.',
  },
);
export type ProblemBody = Static<typeof Problem>;
export type ProblemCodeValue = Static<typeof ProblemCode>;

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

export const Health = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health', additionalProperties: false });

// Optional with defaults: clients may omit them (the validator fills the defaults in).
export const PageQueryFields = {
  page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_INT32, default: 1, description: '1-based page number.' }),
  ),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page.' })),
  q: Type.Optional(
    Type.String({
      // Names are at most 255 characters; the bound only stops absurd inputs.
      maxLength: 1000,
      description: 'Case-insensitive literal search (all of Unicode; `%`, `_` and `\\` match themselves).',
    }),
  ),
};

/** The lists that also page by cursor (keyset) take this next to the page fields. */
export const CursorQueryField = {
  cursor: Type.Optional(
    Type.String({
      maxLength: 2048,
      pattern: '^[A-Za-z0-9_.-]*$',
      description:
        'Cursor pagination: an opaque position from a `Link` next or prev of a previous page, in place of `page`; empty for the first page. Pages then answer in constant time however deep, and rows added meanwhile do not shift them.',
    }),
  ),
};

/** A sort parameter over the given fields, `-` in front for descending. */
export const SortParam = (fields: readonly string[]) =>
  Type.Optional(
    Type.Union(
      fields.flatMap((field) => [Type.Literal(field), Type.Literal(`-${field}`)]),
      { default: '-id', description: 'Sort field; a leading `-` sorts descending.' },
    ),
  );

/** A page of some resource: `{ items, page, page_size, total }`. */
export const PageOf = <T extends TSchema>(item: T, $id: string) =>
  Type.Object(
    {
      items: Type.Array(ref(item)),
      page: Type.Integer({ minimum: 1 }),
      page_size: Type.Integer({ minimum: 1, maximum: 100 }),
      total: Type.Integer({ minimum: 0, description: 'How many items match the filters in all pages.' }),
    },
    { $id, additionalProperties: false },
  );

const problemRef = ref(Problem);
const problemResponse = (status: number) => ({
  description: STATUS_CODES[status] ?? 'Error',
  content: { 'application/problem+json': { schema: problemRef } },
});
/** Problem responses for the given statuses, for a route's `response` schema (RFC 9457 media type). */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as unknown as Record<
    number,
    typeof problemRef
  >;

export const NotModified = Type.Null({ description: 'Not modified: the If-None-Match tag is current.' });
export const NoContent = Type.Null({ description: 'Done; no content.' });

/**
 * The Idempotency-Key request header of every POST (Stripe's semantics; see docs/api.md). The
 * value is the client's own, unique per operation it means to run once (a UUID v4, say).
 */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Makes the POST safe to retry: a repeat with the same key and body gets the first response again (with `Idempotent-Replayed: true`) without running twice. Keys are per user and kept 24 hours by default; a key reused with a different request, or while its first request runs, is a 409. POSTs made without a bearer token (register, login, refresh) ignore it.',
    }),
  ),
});

/** The If-Match / If-None-Match request headers of the conditional routes (RFC 9110 §13.1). */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Write only if the resource still has one of these ETags.' })),
});
export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ description: 'Answer 304 if the resource still has one of these ETags.' }),
  ),
});
