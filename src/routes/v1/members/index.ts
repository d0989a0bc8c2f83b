/**
 * Members of a bucketlist: the owner shares it with other users by email, changes their role and
 * removes them; members see who else it is shared with, and may leave. A user who may not see the
 * bucketlist gets 404, as for a missing one; a member asking for an owner's action gets 403.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type ApiError, conflict, forbidden, notFound } from '../../../errors.js';
import type { AuthenticatedUser } from '../../../plugins/auth.js';
import { IdempotencyHeaders, IdParams, NoContent, problems, ref } from '../../../schemas/common.js';
import {
  Member,
  MemberCreate,
  MemberListQuery,
  MemberPage,
  MemberParams,
  MemberPatch,
} from '../../../schemas/members.js';
import { sendPage, withDefaults } from '../pagination.js';
import { presentMember } from './present.js';

const THE_BUCKETLIST = 'The bucketlist';
const THE_MEMBER = 'The member';
const tags = ['members'];
const security = [{ bearerAuth: [] }];

const memberRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { members, bucketlists, users } = app.repositories;

  /**
   * Why an owner's action found nothing: 404 unless the caller may see the bucketlist, 403 for a
   * member, and for the owner the `missing` row (a revoked session gets its 401 from the error handler).
   */
  const refuseOwnerAction = async (
    user: AuthenticatedUser,
    bucketlistId: number,
    what: string,
    missing: ApiError = notFound(THE_MEMBER),
  ) => {
    const role = await bucketlists.roleOf(user.userId, bucketlistId);
    if (role === undefined) return notFound(THE_BUCKETLIST);
    if (role !== 'owner') return forbidden(`Only the owner of a bucketlist can ${what}.`);
    return missing;
  };

  app.get(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'listMembers',
        summary: 'List the members of a bucketlist',
        description:
          'The users the bucketlist is shared with, oldest first; its owner and every member may list them. Paginated; `Link` carries the next and previous pages.',
        params: IdParams,
        querystring: MemberListQuery,
        response: { 200: ref(MemberPage), ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request, reply) => {
      const query = withDefaults(request.query);
      const result = await members.list(request.user, request.params.id, {
        page: query.page,
        pageSize: query.page_size,
      });
      // An empty page is also what a revoked session, or a caller who may not see the bucketlist, reads.
      if (result.rows.length === 0) {
        await app.requireActiveSession(request);
        if ((await bucketlists.roleOf(request.user.userId, request.params.id)) === undefined) {
          throw notFound(THE_BUCKETLIST);
        }
      }
      return sendPage(request, reply, query, result.rows.map(presentMember), result.total);
    },
  );

  app.post(
    '',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'addMember',
        summary: 'Share a bucketlist with a user',
        description:
          'The owner only (a member gets 403). The email must be a registered user (404 otherwise); sharing with oneself or an existing member is 409. Location names the membership.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ref(MemberCreate),
        response: { 201: ref(Member), ...problems(400, 401, 403, 404, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const bucketlistId = request.params.id;
      const target = await users.findByEmail(request.body.email.toLowerCase());
      const outcome = target
        ? await members.share(request.user, bucketlistId, target, request.body.role)
        : ({ status: 'not_owner' } as const);
      if (outcome.status === 'conflict') {
        throw conflict('That user is the owner or already a member of this bucketlist.');
      }
      if (outcome.status === 'not_owner') {
        throw await refuseOwnerAction(request.user, bucketlistId, 'share it', notFound('A user with this email'));
      }
      reply.header('location', `/v1/bucketlists/${bucketlistId}/members/${outcome.row.userId}`);
      return reply.code(201).send(presentMember(outcome.row));
    },
  );

  app.get(
    '/:user_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'getMember',
        summary: 'Read a member of a bucketlist',
        description: "One membership: the user's id, email, name and role. The owner and every member may read it.",
        params: MemberParams,
        response: { 200: ref(Member), ...problems(400, 401, 404, 406, 500, 503) },
      },
    },
    async (request) => {
      const row = await members.find(request.user, request.params.id, request.params.user_id);
      if (!row) {
        await app.requireActiveSession(request);
        throw notFound(THE_MEMBER);
      }
      return presentMember(row);
    },
  );

  app.patch(
    '/:user_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'updateMember',
        summary: "Change a member's role",
        description: 'The owner only; a member gets 403.',
        params: MemberParams,
        body: ref(MemberPatch),
        response: { 200: ref(Member), ...problems(400, 401, 403, 404, 406, 413, 415, 500, 503) },
      },
    },
    async (request) => {
      const { id, user_id: memberId } = request.params;
      const row = await members.changeRole(request.user, id, memberId, request.body.role);
      if (!row) throw await refuseOwnerAction(request.user, id, 'change roles');
      return presentMember(row);
    },
  );

  app.delete(
    '/:user_id',
    {
      config: { sessionCheckedInQuery: true },
      schema: {
        tags,
        security,
        operationId: 'removeMember',
        summary: 'Stop sharing a bucketlist with a member',
        description:
          'The owner removes any member; a member may remove itself (leave). Access ends at the next request.',
        params: MemberParams,
        // A body is not expected, but one that is malformed, too large or not JSON is still refused.
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 406, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const { id, user_id: memberId } = request.params;
      if (!(await members.remove(request.user, id, memberId))) {
        throw await refuseOwnerAction(request.user, id, 'remove other members');
      }
      return reply.code(204).send(null);
    },
  );
};

export default memberRoutes;
