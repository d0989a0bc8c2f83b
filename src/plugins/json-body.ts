/**
 * Request bodies are JSON, and JSON is UTF-8 (RFC 8259 §8.1). Fastify's own parser decodes the
 * bytes leniently, so invalid UTF-8 would be stored as U+FFFD in a name; here it is a 400. A body
 * declared in another charset, or sent with a content coding, is a 415 (RFC 9110 §15.5.16) rather
 * than a misleading "not valid JSON". The parsing itself stays Fastify's (with its
 * prototype-poisoning checks); any other media type is a 415 too, as text/plain is not accepted.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new Set(['utf-8', 'utf8']);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const unsupported = (detail: string) => new ApiError(415, 'unsupported_media_type', detail);

/** The body as text: 415 unless its declared charset and content coding are ones this API reads. */
function bodyText(request: FastifyRequest, body: Buffer): string {
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !UTF8.has(charset)) {
    throw unsupported(`JSON bodies must be UTF-8; charset=${charset} is not supported.`);
  }
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (coding && coding !== 'identity') {
    throw unsupported(`Content-Encoding ${coding} is not supported; send the body uncompressed.`);
  }
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new ApiError(400, 'validation_error', 'The body is not valid UTF-8.');
  }
}

export default fp(
  async function jsonBody(app) {
    app.removeContentTypeParser(['text/plain', 'application/json']);
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
      let text: string;
      try {
        text = bodyText(request, body);
      } catch (error) {
        return done(error as ApiError);
      }
      parseJson(request, text, done);
    });
  },
  { name: 'json-body', fastify: '5.x' },
);
