/**
 * Account administration, for admins only (function-level authorization, OWASP API5): every route
 * first requires the caller's session to be active and its account to be an admin, else 401 or
 * 403. Admins manage accounts; they do not read other users' bucketlists through these routes or
 * any other.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { conflict, forbidden, notFound, sessionEnded } from '../../../errors.js';
import { AdminUser, AdminUserListQuery, AdminUserPage, AdminUserParams } from '../../../schemas/admin.js';
import { IdempotencyHeaders, NoContent, problems, ref } from '../../../schemas/common.js';
import { sendPage, withDefaults } from '../pagination.js';
import { presentAdminUser } from './present.js';

const THE_USER = 'The user';
const tags = ['admin'];
const security = [{ bearerAuth: [] }];

const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.repositories;
  app.addHook('onRequest', app.authenticate);
  // One query: the session is active and its user an admin. After validation, as everywhere: a
  // request the schema refuses is a 400 whoever sends it.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const role = await users.roleOf(request.user);
    if (role === undefined) throw sessionEnded();
    if (role !== 'admin') throw forbidden('Only an admin may use this route.');
  });

  /** An admin cannot lock themselves out: the last way back would be the promote command. */
  const notOneself = (request: FastifyRequest, id: number, what: string) => {
    if (id === request.user.userId) throw conflict(`An admin cannot ${what} their own account.`);
  };

  const found = <T>(user: T | undefined) => {
    if (!user) throw notFound(THE_USER);
    return user;
  };

  app.get(
    '/users',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'adminListUsers',
        summary: 'List all user accounts',
        description: 'Admins only. Paginated; `Link` carries the next and previous pages; `q` searches email and name.',
        querystring: AdminUserListQuery,
        response: { 200: ref(AdminUserPage), ...problems(400, 401, 403, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const query = withDefaults(request.query);
      const result = await users.list({ page: query.page, pageSize: query.page_size, sort: query.sort, q: query.q });
      return sendPage(request, reply, query, result.rows.map(presentAdminUser), result.total);
    },
  );

  app.get(
    '/users/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'adminGetUser',
        summary: 'Read a user account',
        description: 'Admins only.',
        params: AdminUserParams,
        response: { 200: ref(AdminUser), ...problems(400, 401, 403, 404, 406, 500, 503) },
      },
    },
    async (request) => presentAdminUser(found(await users.findById(request.params.id))),
  );

  app.post(
    '/users/:id/deactivate',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'adminDeactivateUser',
        summary: 'Deactivate a user account',
        description:
          'Admins only. The account can no longer log in or refresh, and every one of its sessions gets 401 from its next request, on every instance. Deactivating a deactivated account changes nothing; an admin cannot deactivate themselves (409).',
        params: AdminUserParams,
        headers: IdempotencyHeaders,
        response: { 200: ref(AdminUser), ...problems(400, 401, 403, 404, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request) => {
      notOneself(request, request.params.id, 'deactivate');
      return presentAdminUser(found(await users.deactivate(request.params.id)));
    },
  );

  app.post(
    '/users/:id/reactivate',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'adminReactivateUser',
        summary: 'Reactivate a user account',
        description: 'Admins only. The account may log in again; its earlier sessions stay ended.',
        params: AdminUserParams,
        headers: IdempotencyHeaders,
        response: { 200: ref(AdminUser), ...problems(400, 401, 403, 404, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request) => presentAdminUser(found(await users.reactivate(request.params.id))),
  );

  app.delete(
    '/users/:id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'adminDeleteUser',
        summary: 'Delete a user account',
        description:
          'Admins only. Its sessions, bucketlists, their items and memberships go with it; an admin cannot delete themselves (409).',
        params: AdminUserParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      notOneself(request, request.params.id, 'delete');
      if (!(await users.remove(request.params.id))) throw notFound(THE_USER);
      return reply.code(204).send(null);
    },
  );
};

export default adminRoutes;
