/**
 * Data exports: ask for one (a background job writes it), follow its progress, download it. An
 * export is the caller's own (another user's is a 404, as a missing one), expires after
 * EXPORT_TTL, and only one per user is queued or running at a time (409).
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { conflict, notAcceptable, notFound, sessionEnded } from '../../../errors.js';
import { IdempotencyHeaders, IdParams, problems, ref } from '../../../schemas/common.js';
import { Export, ExportCsv, ExportDocument } from '../../../schemas/exports.js';
import { acceptsJson, preferredMediaType, rejectUnacceptable } from '../negotiation.js';
import { exportPath, presentExport, renderCsv, renderJson } from './present.js';

const THE_EXPORT = 'The export';
const tags = ['exports'];
const security = [{ bearerAuth: [] }];
const DOWNLOAD_TYPES = ['application/json', 'text/csv'] as const;

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { exports } = app.repositories;
  const { ttlSeconds } = app.config.exports;

  app.post(
    '',
    {
      onRequest: [rejectUnacceptable, app.authenticate],
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'createExport',
        summary: 'Export all of your bucketlists and items',
        description:
          'Queues an export job and answers at once; Location names the export, whose status shows when it can be downloaded. ' +
          'Only one export per user is queued or running at a time.',
        headers: IdempotencyHeaders,
        response: { 202: ref(Export), ...problems(400, 401, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const created = await exports.create(request.user, ttlSeconds);
      if (created.status === 'session_ended') throw sessionEnded();
      if (created.status === 'conflict') {
        throw conflict('An export of your data is already queued or running; wait until it is done.');
      }
      try {
        await app.jobs.enqueueExport(created.row.id);
      } catch (error) {
        // Without its job the export would stay queued forever, and block the next one.
        await exports.remove(request.user.userId, created.row.id);
        throw error;
      }
      reply.header('location', exportPath(created.row.id));
      return reply.code(202).send(presentExport(created.row));
    },
  );

  app.get(
    '/:id',
    {
      onRequest: [rejectUnacceptable, app.authenticate],
      schema: {
        tags,
        security,
        operationId: 'getExport',
        summary: 'An export: its status, progress and, once done, its download link',
        description: 'Poll it after asking for an export; an expired export is a 404.',
        params: IdParams,
        response: { 200: ref(Export), ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request) => {
      const row = await exports.find(request.user.userId, request.params.id);
      if (!row) throw notFound(THE_EXPORT);
      return presentExport(row);
    },
  );

  app.get(
    '/:id/download',
    {
      // Negotiated here rather than by the JSON-only check: this route also speaks CSV.
      onRequest: [
        (request, _reply, done) =>
          done(
            acceptsJson(request.headers.accept) || preferredMediaType(request.headers.accept, ['text/csv'])
              ? undefined
              : notAcceptable(),
          ),
        app.authenticate,
      ],
      schema: {
        tags,
        security,
        operationId: 'downloadExport',
        summary: 'Download a finished export, as JSON or (Accept: text/csv) CSV',
        description: 'Streamed as it is read from the database. 409 while the export is not done.',
        params: IdParams,
        response: {
          200: {
            description: "All of the caller's bucketlists and items.",
            content: { 'application/json': { schema: ref(ExportDocument) }, 'text/csv': { schema: ExportCsv } },
          },
          ...problems(400, 401, 404, 406, 409, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const row = await exports.find(request.user.userId, request.params.id);
      if (!row) throw notFound(THE_EXPORT);
      if (row.status !== 'done' || !row.runId || !row.completedAt) {
        throw conflict(`The export is ${row.status}, not done: it cannot be downloaded.`);
      }
      const csv = preferredMediaType(request.headers.accept, DOWNLOAD_TYPES) === 'text/csv';
      const chunks = exports.chunks(request.user.userId, row.id, row.runId);
      const body = csv ? renderCsv(chunks) : renderJson({ id: row.id, exportedAt: row.completedAt }, chunks);
      return reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="bucketlists-export-${row.id}.${csv ? 'csv' : 'json'}"`)
        .send(Readable.from(body) as unknown as string); // a stream: the typed reply knows only the schema's types
    },
  );
};

export default exportRoutes;
