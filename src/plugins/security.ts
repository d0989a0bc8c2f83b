/**
 * Browser-facing hardening: the security headers of every response (helmet's) and CORS for the
 * configured origins only (@fastify/cors).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export interface SecurityOptions {
  /** Origins (scheme://host[:port]) whose pages may call the API; empty sends no CORS headers. */
  corsOrigins: readonly string[];
}

/** Response headers a browser client needs to read (CORS hides all but a few by default). */
export const EXPOSED_HEADERS = [
  'Api-Version',
  'ETag',
  'Location',
  'Link',
  'X-Request-Id',
  'RateLimit',
  'RateLimit-Policy',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
  'WWW-Authenticate',
];

/** Request headers a browser client may send (no cookies: the API authenticates with bearer tokens). */
export const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Api-Version',
  'If-Match',
  'If-None-Match',
  'X-Request-Id',
];

const HELMET_OPTIONS: HelmetOptions = {
  // The API serves JSON only, so its pages may load nothing and be framed by nobody. The Swagger
  // UI at /docs replaces this with its own policy (staticCSP in the openapi plugin).
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
};

/**
 * The headers helmet's middleware sets for these options, captured once. With no per-request
 * input (no CSP nonces) they are the same for every response; @fastify/helmet would rebuild the
 * middleware on every request.
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const capture = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, capture as unknown as ServerResponse, () => {});
  return headers;
}

/** The security headers of every response, also of those written without a request (src/plugins/errors.ts). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = helmetHeaders(HELMET_OPTIONS);

export default fp<SecurityOptions>(
  async function security(app, options) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS);
      done();
    });

    if (options.corsOrigins.length === 0) return;
    const allowed = new Set(options.corsOrigins);
    await app.register(cors, {
      // An origin not on the list gets no CORS headers at all, and its preflight falls through to
      // the 404/405 problem of the route (Fetch standard, CORS protocol: no Allow-Origin = denied).
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
      // A bare OPTIONS from an allowed origin is answered as a preflight, not with a text/plain 400.
      strictPreflight: false,
    });
  },
  { name: 'security', fastify: '5.x', dependencies: ['errors'] },
);
