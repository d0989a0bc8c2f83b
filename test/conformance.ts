/**
 * Response conformance: checks a response against the app's own OpenAPI document (the status is
 * documented for the operation, the body matches that status's schema, JSON or problem+json
 * content types, 204/304 without a body) and the contract's RFC 9457 rules for every error.
 * `watchConformance` wires the checks into an app, so every response a test receives is checked.
 */
import { STATUS_CODES } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Test } from 'tap';

/** The parts of an OpenAPI 3.1 document the checker reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown>; parameters?: Record<string, OpenApiParameter> };
}

export interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface OpenApiOperation {
  operationId?: string;
  /** Inline, or a `$ref` to a shared component parameter. */
  parameters?: Array<OpenApiParameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: Array<Record<string, unknown>>;
}

/** One response, as a client saw it. */
export interface Exchange {
  method: string;
  /** The route template, Fastify's (`/v1/bucketlists/:id`) or the document's (`/v1/bucketlists/{id}`). */
  route: string | undefined;
  status: number;
  headers: Record<string, unknown>;
  /** The body as text; undefined when it is not known (a stream). */
  body: string | undefined;
}

export type ViolationKind = 'undocumented-status' | 'content-type' | 'body' | 'problem' | 'non-empty-body';

export interface Violation {
  method: string;
  route: string;
  status: number;
  kind: ViolationKind;
  message: string;
}

/** The `code` for each error status (docs/api.md, "Errors"). */
export const CODE_BY_STATUS: Record<number, string> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
};

/** Codes more specific than the status's own, which the API also answers with that status. */
export const MORE_CODES_BY_STATUS: Record<number, string[]> = {
  409: ['idempotency_key_in_use', 'idempotency_key_reused'],
};

/**
 * Deviations already reported as bugs: a violation that matches one is reported as `todo`
 * (the suite stays green) instead of failing. Remove an entry once its bug is fixed.
 */
export const KNOWN_DEVIATIONS: Array<{ bug: string; matches(violation: Violation, exchange: Exchange): boolean }> = [];

export function knownDeviation(violation: Violation, exchange: Exchange): string | undefined {
  return KNOWN_DEVIATIONS.find((deviation) => deviation.matches(violation, exchange))?.bug;
}

const COMPONENT_BASE = 'https://conformance.test/components/schemas/';
const COMPONENT_REF = /^#\/components\/schemas\/(.+)$/;

/** A deep copy of a schema whose document-local `$ref`s point at the registered components. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    const local = key === '$ref' && typeof value === 'string' ? COMPONENT_REF.exec(value) : null;
    copy[key] = local ? `${COMPONENT_BASE}${local[1]}` : rebase(value);
  }
  return copy;
}

/** `/v1/x/:id/` and `/v1/x/{id}` name the same route. */
export function normalizeRoute(route: string): string {
  const braced = route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return braced.length > 1 ? braced.replace(/\/+$/, '') : braced;
}

const mediaType = (value: unknown) =>
  String(Array.isArray(value) ? value[0] : (value ?? ''))
    .split(';')[0]
    ?.trim()
    .toLowerCase() ?? '';

export interface ConformanceChecker {
  document: OpenApiDocument;
  /** The operation of the document for a method and route template, if it documents one. */
  operation(method: string, route: string | undefined): { path: string; operation: OpenApiOperation } | undefined;
  /** Ajv, with the document's components registered, for callers that validate more (e.g. requests). */
  validatorFor(schema: unknown): ValidateFunction;
  /** Every way the response departs from the document and the contract; empty when it conforms. */
  check(exchange: Exchange): Violation[];
}

export function createConformanceChecker(document: OpenApiDocument): ConformanceChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  formatsPlugin.default(ajv);
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    ajv.addSchema(rebase(schema) as object, `${COMPONENT_BASE}${name}`);
  }
  const validators = new Map<unknown, ValidateFunction>();
  const validatorFor = (schema: unknown) => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(rebase(schema) as object);
      validators.set(schema, validate);
    }
    return validate;
  };
  const problemSchema = document.components?.schemas?.Problem;

  const byRoute = new Map<string, { path: string; methods: Record<string, OpenApiOperation> }>();
  for (const [path, methods] of Object.entries(document.paths)) byRoute.set(normalizeRoute(path), { path, methods });

  const operation = (method: string, route: string | undefined) => {
    if (route === undefined) return undefined;
    const entry = byRoute.get(normalizeRoute(route));
    // HEAD is answered by the GET route (RFC 9110 §9.3.2), without a body.
    const found = entry?.methods[method.toLowerCase()] ?? (method === 'HEAD' ? entry?.methods.get : undefined);
    return entry && found ? { path: entry.path, operation: found } : undefined;
  };

  function problemViolations(exchange: Exchange, say: (kind: ViolationKind, message: string) => void) {
    const type = mediaType(exchange.headers['content-type']);
    if (type !== 'application/problem+json') {
      say('content-type', `an error must be application/problem+json, got "${type || '(none)'}"`);
    }
    if (exchange.method === 'HEAD' || exchange.body === undefined) return;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      say('problem', `the error body is not JSON: ${JSON.stringify(exchange.body.slice(0, 200))}`);
      return;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      say('problem', 'the error body is not a JSON object');
      return;
    }
    if (problemSchema !== undefined) {
      const validate = validatorFor(problemSchema);
      if (!validate(body)) say('problem', `the error body is not a Problem: ${ajv.errorsText(validate.errors)}`);
    }
    const missing = ['status', 'title', 'detail', 'code'].filter((field) => body[field] === undefined);
    if (missing.length > 0) say('problem', `the problem lacks ${missing.join(', ')}`);
    if (body.status !== exchange.status)
      say('problem', `problem.status is ${body.status}, the response ${exchange.status}`);
    const expectedCode = CODE_BY_STATUS[exchange.status];
    const allowed = [expectedCode, ...(MORE_CODES_BY_STATUS[exchange.status] ?? [])];
    if (expectedCode && !allowed.includes(body.code as string))
      say('problem', `problem.code is "${body.code}", expected "${expectedCode}"`);
    if (!expectedCode) say('problem', `status ${exchange.status} has no code in the contract`);
    const title = STATUS_CODES[exchange.status];
    if (title && body.title !== title) say('problem', `problem.title is "${body.title}", expected "${title}"`);
    if (typeof body.detail !== 'string' || body.detail.trim() === '') say('problem', 'problem.detail is empty');
  }

  function check(exchange: Exchange): Violation[] {
    const found = operation(exchange.method, exchange.route);
    const route = found?.path ?? exchange.route ?? '(no route)';
    const violations: Violation[] = [];
    const say = (kind: ViolationKind, message: string) =>
      violations.push({ method: exchange.method, route, status: exchange.status, kind, message });

    // Every error is a problem, documented route or not (docs/api.md, "Errors").
    if (exchange.status >= 400) problemViolations(exchange, say);
    if (!found) return violations;

    const responses = found.operation.responses ?? {};
    const documented =
      responses[String(exchange.status)] ?? responses[`${String(exchange.status)[0]}XX`] ?? responses.default;
    if (!documented) {
      say('undocumented-status', `status ${exchange.status} is not documented for ${found.operation.operationId}`);
      return violations;
    }
    const bodyText = exchange.body ?? '';
    if (exchange.status === 204 || exchange.status === 304) {
      if (bodyText.length > 0)
        say('non-empty-body', `a ${exchange.status} must have no body, got ${bodyText.length} bytes`);
      // RFC 9110 §8.6: never a Content-Length on a 204; on a 304 only the length the 200 would have had.
      const length = exchange.headers['content-length'];
      if (length !== undefined) {
        say(
          'non-empty-body',
          `a ${exchange.status} must not carry Content-Length (RFC 9110 §8.6), got ${String(length)}`,
        );
      }
      return violations;
    }
    if (exchange.method === 'HEAD' || exchange.body === undefined || exchange.status >= 400) return violations;

    const type = mediaType(exchange.headers['content-type']);
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (bodyText.length > 0) say('non-empty-body', `status ${exchange.status} documents no content, got a body`);
      return violations;
    }
    if (type !== 'application/json' || !(type in content)) {
      say('content-type', `expected application/json (documented: ${Object.keys(content).join(', ')}), got "${type}"`);
      return violations;
    }
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      say('body', `the body is not JSON: ${JSON.stringify(bodyText.slice(0, 200))}`);
      return violations;
    }
    const schema = content[type]?.schema;
    if (schema !== undefined) {
      const validate = validatorFor(schema);
      if (!validate(body)) say('body', `the body does not match its schema: ${ajv.errorsText(validate.errors)}`);
    }
    return violations;
  }

  return { document, operation, validatorFor, check };
}

// Apps built in one process serve the same document: compile it once per distinct document.
const checkers = new Map<string, ConformanceChecker>();
const checkerOfApp = new WeakMap<FastifyInstance, ConformanceChecker>();

/** The checker for this app's document (the one GET /openapi.json serves), fixed once the app is ready. */
export function checkerFor(app: FastifyInstance): ConformanceChecker {
  let checker = checkerOfApp.get(app);
  if (checker) return checker;
  const document = (app as unknown as { swagger(): OpenApiDocument }).swagger();
  const key = JSON.stringify(document);
  checker = checkers.get(key);
  if (!checker) {
    checker = createConformanceChecker(document);
    checkers.set(key, checker);
  }
  checkerOfApp.set(app, checker);
  return checker;
}

export function describeViolation(violation: Violation): string {
  return `${violation.method} ${violation.route} → ${violation.status}: ${violation.message}`;
}

function payloadText(payload: unknown): string | undefined {
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined;
}

/** The response as its client will see it (Node sends no body with a 204 or 304, RFC 9110 §15.3.5). */
export function exchangeOf(request: FastifyRequest, reply: FastifyReply, payload: unknown): Exchange {
  const status = reply.statusCode;
  return {
    method: request.method,
    route: request.routeOptions.url,
    status,
    headers: reply.getHeaders(),
    body: status === 204 || status === 304 ? '' : payloadText(payload),
  };
}

/**
 * Checks every response of the app against its OpenAPI document; each distinct violation fails
 * the test once (as a `todo` when it is a known, reported deviation). Call before `app.ready()`.
 */
export function watchConformance(app: FastifyInstance, t: Test): void {
  const reported = new Set<string>();
  const payloads = new WeakMap<FastifyRequest, unknown>();
  // The body is known when it is sent; the final status and headers (Content-Length) once it has gone.
  app.addHook('onSend', async (request, _reply, payload) => {
    payloads.set(request, payload);
    return payload;
  });
  app.addHook('onResponse', (request, reply, done) => {
    try {
      // Routes the document does not describe (docs assets, /openapi.json) are only held to the problem rules.
      const exchange = exchangeOf(request, reply, payloads.get(request));
      for (const violation of checkerFor(app).check(exchange)) {
        const key = `${violation.method} ${violation.route} ${violation.status} ${violation.kind}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const bug = knownDeviation(violation, exchange);
        t.fail(`response does not conform to the OpenAPI document: ${describeViolation(violation)}`, {
          ...(bug ? { todo: bug } : {}),
        });
      }
    } catch (error) {
      t.fail(`the conformance check itself failed on ${request.method} ${request.url}: ${String(error)}`);
    }
    done();
  });
}
