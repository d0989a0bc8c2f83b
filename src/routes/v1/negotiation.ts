/** Content negotiation (RFC 9110 §12.5.1): the API speaks JSON only; an Accept that rules it out is a 406. */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { notAcceptable } from '../../errors.js';
import { chooseApiVersion } from './api-version.js';

interface MediaRange {
  type: string;
  quality: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').map((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { type, quality: Number.isFinite(quality) ? quality : 0 };
  });
}

/** The quality the client gives a media type: the most specific matching range decides. */
function qualityOf(ranges: MediaRange[], mediaType: string): number {
  const bySpecificity = [mediaType, `${mediaType.split('/')[0]}/*`, '*/*'];
  for (const type of bySpecificity) {
    const range = ranges.find((candidate) => candidate.type === type);
    if (range) return range.quality;
  }
  return 0;
}

/**
 * True when the client takes JSON. The most specific range decides (RFC 9110 §12.5.1), so
 * `application/json;q=0, *\/*` rules JSON out; a client that names problem+json reads JSON too.
 */
export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  const ranges = parseAccept(header);
  const problemJson = ranges.find((range) => range.type === 'application/problem+json');
  return qualityOf(ranges, 'application/json') > 0 || (problemJson !== undefined && problemJson.quality > 0);
}

/**
 * The offered media type the client prefers (RFC 9110 §12.5.1): the highest quality, the first
 * offered on a tie, no Accept meaning the first. Undefined when it takes none of them.
 */
export function preferredMediaType<T extends string>(header: string | undefined, offered: readonly [T, ...T[]]) {
  if (header === undefined || header.trim() === '') return offered[0];
  const ranges = parseAccept(header);
  let best: { type: T; quality: number } | undefined;
  for (const type of offered) {
    const quality = qualityOf(ranges, type);
    if (quality > 0 && (!best || quality > best.quality)) best = { type, quality };
  }
  return best?.type;
}

export function assertAcceptable(request: FastifyRequest) {
  if (!acceptsJson(request.headers.accept)) throw notAcceptable();
}

/** onRequest hook: 406 unless the client takes JSON. Synchronous, as it has nothing to wait for. */
export function rejectUnacceptable(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  assertAcceptable(request);
  done();
}

/**
 * onRoute hook of the auth routes: the version and 406 checks first of the route's hooks (before
 * logout's authentication), except on a rate-limited route, where they run after the limiter's
 * own hook so that a refused request still counts against the limit and carries the RateLimit
 * headers promised on every response of a limited route. Decided once per route, not per request.
 */
export function placeNegotiation(route: RouteOptions) {
  const hooks = [route.onRequest ?? []].flat();
  const negotiation = [chooseApiVersion, rejectUnacceptable];
  route.onRequest = route.config?.rateLimit ? [...hooks, ...negotiation] : [...negotiation, ...hooks];
}
