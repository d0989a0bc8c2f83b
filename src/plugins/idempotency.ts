/**
 * Idempotency-Key on POST, with Stripe's semantics: the first request with a key runs, and its
 * response (status, headers, body) is stored; a retry with the same key and the same request gets
 * that response again, marked `Idempotent-Replayed: true`, without running again, on any
 * instance. The same key with another request, or while the first is still running, is a 409.
 * Keys belong to the authenticated user; POSTs without a bearer token (register, login, refresh)
 * ignore the header, as Stripe ignores it where it has no meaning (docs/api.md says why).
 * A response of 5xx frees the key, so the retry the client will make can run.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';
import type { StoredResponse } from '../repositories/idempotency.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request claimed, whose response is to be stored. */
    idempotencyKey: string | null;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

// A request cannot run longer than the handler's timeout: a claim this old was never answered.
const ABANDONED_AFTER_SECONDS = 60;
const PURGE_INTERVAL_MS = 3600_000;
// The headers that describe the response itself; per-request ones (X-Request-Id, rate limits) are not replayed.
const STORED_HEADERS = ['content-type', 'location', 'etag', 'cache-control'];

/** The request's identity for a key: method, path with query, and body. */
function fingerprintOf(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('base64url');
}

function storedResponse(reply: FastifyReply, payload: unknown): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: reply.statusCode, headers, body: typeof payload === 'string' ? payload : '' };
}

export default fp<{ ttlSeconds: number }>(
  async function idempotency(app, { ttlSeconds }) {
    const keys = app.repositories.idempotency;
    const times = { ttlSeconds, abandonedAfterSeconds: ABANDONED_AFTER_SECONDS };
    app.decorateRequest('idempotencyKey', null);

    // After authentication and validation: a request refused before it runs claims no key.
    app.addHook('preHandler', async (request, reply) => {
      const key = request.headers[IDEMPOTENCY_HEADER];
      if (request.method !== 'POST' || typeof key !== 'string' || !request.user) return;
      // A stored response is the caller's data: it needs the session the route would have checked.
      if (request.routeOptions.config.sessionCheckedInQuery) await app.requireActiveSession(request);
      const result = await keys.claim(request.user.userId, key, fingerprintOf(request), times);
      switch (result.outcome) {
        case 'claimed':
          request.idempotencyKey = key;
          return;
        case 'replay':
          return reply
            .code(result.response.status)
            .headers({ ...result.response.headers, [REPLAYED_HEADER]: 'true' })
            .send(result.response.body === '' ? null : result.response.body);
        case 'in_progress':
          throw new ApiError(
            409,
            'idempotency_key_in_use',
            'A request with this Idempotency-Key is still running; retry shortly.',
            { 'retry-after': '1' },
          );
        case 'mismatch':
          throw new ApiError(
            409,
            'idempotency_key_reused',
            'This Idempotency-Key was used for a different request (method, path or body); use a new key.',
          );
      }
    });

    // Stored before the response leaves, so a retry that follows it finds the answer, not a claim.
    app.addHook('onSend', async (request, reply, payload) => {
      const key = request.idempotencyKey;
      if (key === null) return payload;
      const owner = request.user.userId;
      try {
        if (reply.statusCode >= 500) await keys.release(owner, key);
        else await keys.complete(owner, key, storedResponse(reply, payload));
      } catch (error) {
        // The claim then expires on its own; the response still goes out.
        request.log.error({ err: error }, 'could not store the response of an Idempotency-Key');
      }
      return payload;
    });

    const purge = setInterval(() => {
      keys
        .purgeExpired(ttlSeconds)
        .catch((error: unknown) => app.log.warn({ err: error }, 'idempotency key purge failed'));
    }, PURGE_INTERVAL_MS).unref();
    app.addHook('onClose', () => clearInterval(purge));
  },
  { name: 'idempotency', fastify: '5.x', dependencies: ['database', 'auth'] },
);
