/**
 * The API version of each request, decided once, in the first hook of every /v1 route: the
 * `Api-Version` header, or the default without one. Presenters and ETags read `request.apiVersion`.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { validationError } from '../../errors.js';
import {
  type ApiVersion,
  DEFAULT_API_VERSION,
  SHARING_API_VERSION,
  SUPPORTED_API_VERSIONS,
} from '../../schemas/api-version.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API version this request is answered in. */
    apiVersion: ApiVersion;
  }
}

const isSupported = (value: unknown): value is ApiVersion => SUPPORTED_API_VERSIONS.includes(value as ApiVersion);

const unsupported = (value: string | string[]) =>
  validationError(
    `Api-Version ${JSON.stringify(value)} is not a supported version; supported: ${SUPPORTED_API_VERSIONS.join(', ')} (without the header: ${DEFAULT_API_VERSION}).`,
    [{ path: '/api-version', message: `must be one of ${SUPPORTED_API_VERSIONS.join(', ')}` }],
  );

/**
 * onRequest hook: decides the request's version and says which in the response. Every response
 * depends on the header (its Api-Version echoes it), so every one varies by it (RFC 9110 §12.5.5);
 * an earlier hook (CORS) may have set Vary already, so this appends.
 */
export function chooseApiVersion(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
  const requested = request.headers['api-version'];
  const vary = reply.getHeader('vary');
  reply.header('vary', vary === undefined ? 'Api-Version' : `${String(vary)}, Api-Version`);
  const version = requested === undefined ? DEFAULT_API_VERSION : requested;
  // A refused version's problem is written as the default version writes it.
  reply.header('api-version', isSupported(version) ? version : DEFAULT_API_VERSION);
  if (!isSupported(version)) throw unsupported(version);
  request.apiVersion = version;
  done();
}

/** True when the request's version shows the sharing fields (User.role, Bucketlist.owner_id and role). */
export const showsSharing = (version: ApiVersion) => version >= SHARING_API_VERSION;

/**
 * What tells apart the ETags of the representations of one state of a resource whose fields
 * depend on the version (RFC 9110 §8.8.3: a strong tag names one representation). The default
 * version's tags carry none, so they stay what they always were.
 */
export const tagVariant = (request: FastifyRequest) =>
  request.apiVersion === DEFAULT_API_VERSION ? '' : `.v${request.apiVersion}`;
