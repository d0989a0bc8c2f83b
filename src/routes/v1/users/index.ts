/** The signed-in user. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalidToken } from '../../../errors.js';
import { User } from '../../../schemas/auth.js';
import { IfNoneMatchHeaders, NotModified, problems, ref } from '../../../schemas/common.js';
import { tagVariant } from '../api-version.js';
import { etagOf, isNotModified, sendNotModified } from '../conditional.js';
import { presentUser } from './present.js';

const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me',
    {
      onRequest: app.authenticate,
      config: { sessionCheckedInQuery: true },
      schema: {
        tags: ['users'],
        operationId: 'getCurrentUser',
        summary: 'The signed-in user',
        description: 'Sends a strong ETag; If-None-Match with the current tag answers 304.',
        security: [{ bearerAuth: [] }],
        headers: IfNoneMatchHeaders,
        response: {
          200: ref(User),
          304: NotModified,
          ...problems(400, 401, 406, 500, 503),
        },
      },
    },
    async (request, reply) => {
      // A user's sessions are deleted with it, so no row here means the session has ended.
      const user = await app.repositories.users.findVisible(request.user);
      if (!user) throw invalidToken('The session has ended; log in again.');
      if (isNotModified(request, reply, etagOf(user, tagVariant(request)))) return sendNotModified(reply);
      return presentUser(user, request.apiVersion);
    },
  );
};

export default userRoutes;
