/**
 * Bucketlists: create, list, read, replace, update and delete the caller's own, and read or edit
 * those shared with the caller (as its role allows: the statements check it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, sessionEnded } from '../../../errors.js';
import {
  Bucketlist,
  BucketlistInput,
  BucketlistListQuery,
  BucketlistPage,
  BucketlistPatch,
} from '../../../schemas/bucketlists.js';
import {
  IdempotencyHeaders,
  IdParams,
  IfMatchHeaders,
  IfNoneMatchHeaders,
  NoContent,
  NotModified,
  problems,
  ref,
} from '../../../schemas/common.js';
import { tagVariant } from '../api-version.js';
import { allowedVersions, etagOf, isNotModified, sendNotModified, writtenRow } from '../conditional.js';
import { cursorCodec, withDefaults } from '../pagination.js';
import { presentBucketlist } from './present.js';

const THE_BUCKETLIST = 'The bucketlist';
const tags = ['bucketlists'];
const security = [{ bearerAuth: [] }];

const bucketlistRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { bucketlists } = app.repositories;
  const cursors = cursorCodec(app.config.auth.jwtSecret);

  app.post(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'createBucketlist',
        summary: 'Create a bucketlist',
        description: 'The name is trimmed; an omitted description is null. Location names the new bucketlist.',
        headers: IdempotencyHeaders,
        body: ref(BucketlistInput),
        response: { 201: ref(Bucketlist), ...problems(400, 401, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const row = await bucketlists.create(request.user, {
        name: request.body.name.trim(),
        description: request.body.description ?? null,
      });
      if (!row) throw sessionEnded();
      reply.header('location', `/v1/bucketlists/${row.id}`).header('etag', etagOf(row, tagVariant(request)));
      return reply.code(201).send(presentBucketlist(row, request.apiVersion));
    },
  );

  app.get(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'listBucketlists',
        summary: "List the caller's bucketlists",
        description:
          "Paginated by page number or by cursor; `Link` carries the next and previous pages. `scope` picks the caller's own (the default), those shared with the caller, or both.",
        querystring: BucketlistListQuery,
        response: { 200: ref(BucketlistPage), ...problems(400, 401, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const query = withDefaults(request.query);
      const { sort, q } = query;
      const scope = query.scope ?? 'owned';
      const position = cursors.positionOf(query);
      const { page, limit: pageSize, after } = position;
      const result = await bucketlists.list(request.user, { scope, page, pageSize, sort, q, after });
      // An empty page is also what a revoked session reads.
      if (result.rows.length === 0) await app.requireActiveSession(request);
      const boundaryOf = (row: (typeof result.rows)[number]) => bucketlists.boundaryOf(sort, row);
      const present = (row: (typeof result.rows)[number]) => presentBucketlist(row, request.apiVersion);
      return cursors.sendList(request, reply, query, position, result, boundaryOf, present);
    },
  );

  app.get(
    '/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'getBucketlist',
        summary: 'Read a bucketlist',
        description:
          'Sends a strong ETag, which changes with any field (item_count included); If-None-Match with the current tag answers 304.',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        response: { 200: ref(Bucketlist), 304: NotModified, ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const row = await bucketlists.findVisible(request.user, request.params.id);
      if (!row) {
        await app.requireActiveSession(request);
        throw notFound(THE_BUCKETLIST);
      }
      if (isNotModified(request, reply, etagOf(row, tagVariant(request)))) return sendNotModified(reply);
      return presentBucketlist(row, request.apiVersion);
    },
  );

  app.put(
    '/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'replaceBucketlist',
        summary: 'Replace a bucketlist',
        description:
          'A full replacement: an omitted description becomes null. The owner or an editor; a viewer gets 403. Honours If-Match.',
        params: IdParams,
        headers: IfMatchHeaders,
        body: ref(BucketlistInput),
        response: { 200: ref(Bucketlist), ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const values = { name: request.body.name.trim(), description: request.body.description ?? null };
      const outcome = await bucketlists.replace(
        request.user,
        id,
        values,
        allowedVersions(request, id, tagVariant(request)),
      );
      const row = writtenRow(outcome, THE_BUCKETLIST);
      reply.header('etag', etagOf(row, tagVariant(request)));
      return presentBucketlist(row, request.apiVersion);
    },
  );

  app.patch(
    '/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'updateBucketlist',
        summary: 'Update some fields of a bucketlist',
        description:
          'Changes only the fields given (at least one). The owner or an editor; a viewer gets 403. Honours If-Match.',
        params: IdParams,
        headers: IfMatchHeaders,
        body: ref(BucketlistPatch),
        response: { 200: ref(Bucketlist), ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { name, description } = request.body;
      const values = { name: name?.trim(), description };
      const outcome = await bucketlists.patch(
        request.user,
        id,
        values,
        allowedVersions(request, id, tagVariant(request)),
      );
      const row = writtenRow(outcome, THE_BUCKETLIST);
      reply.header('etag', etagOf(row, tagVariant(request)));
      return presentBucketlist(row, request.apiVersion);
    },
  );

  app.delete(
    '/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'deleteBucketlist',
        summary: 'Delete a bucketlist and its items',
        description: 'The owner only; an editor or viewer gets 403. Honours If-Match.',
        params: IdParams,
        headers: IfMatchHeaders,
        // A body is not expected, but one that is malformed, too large or not JSON is still refused.
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      writtenRow(
        await bucketlists.remove(request.user, id, allowedVersions(request, id, tagVariant(request))),
        THE_BUCKETLIST,
      );
      return reply.code(204).send(null);
    },
  );
};

export default bucketlistRoutes;
