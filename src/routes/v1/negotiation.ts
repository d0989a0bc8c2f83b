/** Content negotiation (RFC 9110 §12.5.1): the API speaks JSON only; an Accept that rules it out is a 406. */
import type { FastifyRequest } from 'fastify';
import { notAcceptable } from '../../errors.js';

const JSON_RANGES = new Set(['*/*', 'application/*', 'application/json', 'application/problem+json']);

export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  return header.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const quality = params.find((param) => param.startsWith('q='));
    return JSON_RANGES.has(type) && (quality === undefined || Number(quality.slice(2)) > 0);
  });
}

export async function rejectUnacceptable(request: FastifyRequest) {
  if (!acceptsJson(request.headers.accept)) throw notAcceptable();
}
