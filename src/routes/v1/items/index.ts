/**
 * Items of a bucketlist: create, list, read, replace, update and delete. Members read them; the
 * owner and editors change them (the statements check it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { forbidden, notFound } from '../../../errors.js';
import type { AuthenticatedUser } from '../../../plugins/auth.js';
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
import {
  Item,
  ItemCreate,
  ItemListQuery,
  ItemPage,
  ItemParams,
  ItemPatch,
  ItemReplace,
} from '../../../schemas/items.js';
import { allowedVersions, etagOf, isNotModified, sendNotModified, writtenRow } from '../conditional.js';
import { cursorCodec, withDefaults } from '../pagination.js';
import { presentItem } from './present.js';

const THE_ITEM = 'The item';
const THE_BUCKETLIST = 'The bucketlist';
const tags = ['items'];
const security = [{ bearerAuth: [] }];

const itemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { items, bucketlists } = app.repositories;
  const cursors = cursorCodec(app.config.auth.jwtSecret);
  const scopeOf = (request: { user: AuthenticatedUser; params: { id: number } }) => ({
    userId: request.user.userId,
    bucketlistId: request.params.id,
    sessionId: request.user.sessionId,
  });

  app.post(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'createItem',
        summary: 'Add an item to a bucketlist',
        description:
          'The name is trimmed; done defaults to false. Location names the new item. The owner or an editor; a viewer gets 403.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ref(ItemCreate),
        response: { 201: ref(Item), ...problems(400, 401, 403, 404, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const row = await items.create(scopeOf(request), {
        name: request.body.name.trim(),
        done: request.body.done ?? false,
      });
      if (!row) {
        // Nothing written: a viewer is refused, anyone else finds no bucketlist they may edit.
        const role = await bucketlists.roleOf(request.user.userId, request.params.id);
        throw role === 'viewer' ? forbidden('A viewer cannot add items.') : notFound(THE_BUCKETLIST);
      }
      reply.header('location', `/v1/bucketlists/${row.bucketlistId}/items/${row.id}`).header('etag', etagOf(row));
      return reply.code(201).send(presentItem(row));
    },
  );

  app.get(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'listItems',
        summary: 'List the items of a bucketlist',
        description: 'Paginated by page number or by cursor; `Link` carries the next and previous pages.',
        params: IdParams,
        querystring: ItemListQuery,
        response: { 200: ref(ItemPage), ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const query = withDefaults(request.query);
      const { sort, q, done } = query;
      const position = cursors.positionOf(query);
      const { page, limit: pageSize, after } = position;
      const result = await items.list(scopeOf(request), { page, pageSize, sort, q, done, after });
      // Rows show the bucketlist is visible (see items.list); with none, it may not be.
      if (result.rows.length === 0 && !(await bucketlists.findVisible(request.user, request.params.id))) {
        await app.requireActiveSession(request);
        throw notFound(THE_BUCKETLIST);
      }
      const boundaryOf = (row: (typeof result.rows)[number]) => items.boundaryOf(sort, row);
      return cursors.sendList(request, reply, query, position, result, boundaryOf, presentItem);
    },
  );

  app.get(
    '/:item_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'getItem',
        summary: 'Read an item',
        description: 'Sends a strong ETag; If-None-Match with the current tag answers 304.',
        params: ItemParams,
        headers: IfNoneMatchHeaders,
        response: { 200: ref(Item), 304: NotModified, ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const row = await items.findVisible(request.user, request.params.id, request.params.item_id);
      if (!row) {
        await app.requireActiveSession(request);
        throw notFound(THE_ITEM);
      }
      if (isNotModified(request, reply, etagOf(row))) return sendNotModified(reply);
      return presentItem(row);
    },
  );

  app.put(
    '/:item_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'replaceItem',
        summary: 'Replace an item',
        description: 'The owner or an editor; a viewer gets 403. Honours If-Match.',
        params: ItemParams,
        headers: IfMatchHeaders,
        body: ref(ItemReplace),
        response: { 200: ref(Item), ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const id = request.params.item_id;
      const values = { name: request.body.name.trim(), done: request.body.done };
      const row = writtenRow(await items.replace(scopeOf(request), id, values, allowedVersions(request, id)), THE_ITEM);
      reply.header('etag', etagOf(row));
      return presentItem(row);
    },
  );

  app.patch(
    '/:item_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'updateItem',
        summary: 'Update some fields of an item',
        description:
          'Changes only the fields given (at least one). The owner or an editor; a viewer gets 403. Honours If-Match.',
        params: ItemParams,
        headers: IfMatchHeaders,
        body: ref(ItemPatch),
        response: { 200: ref(Item), ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const id = request.params.item_id;
      const values = { name: request.body.name?.trim(), done: request.body.done };
      const row = writtenRow(await items.patch(scopeOf(request), id, values, allowedVersions(request, id)), THE_ITEM);
      reply.header('etag', etagOf(row));
      return presentItem(row);
    },
  );

  app.delete(
    '/:item_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'deleteItem',
        summary: 'Delete an item',
        description: 'The owner or an editor; a viewer gets 403. Honours If-Match.',
        params: ItemParams,
        headers: IfMatchHeaders,
        // A body is not expected, but one that is malformed, too large or not JSON is still refused.
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 406, 412, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const id = request.params.item_id;
      writtenRow(await items.remove(scopeOf(request), id, allowedVersions(request, id)), THE_ITEM);
      return reply.code(204).send(null);
    },
  );
};

export default itemRoutes;
