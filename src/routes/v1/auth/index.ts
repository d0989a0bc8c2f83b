/** Register, log in, refresh and log out (docs/api.md, "Authentication" and "Accounts"). */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { conflict, invalidCredentials, unauthorized } from '../../../errors.js';
import { Credentials, RefreshRequest, Registration, Tokens, type TokensBody, User } from '../../../schemas/auth.js';
import { IdempotencyHeaders, NoContent, problems, ref } from '../../../schemas/common.js';
import { presentUser } from '../users/present.js';
import {
  checkPassword,
  hashPassword,
  hashRefreshToken,
  mintRefreshToken,
  sessionOfRefreshToken,
} from './credentials.js';

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth } = app.config;
  // Per client address (the TCP peer unless a trusted proxy is configured).
  const rateLimit = { max: auth.rateLimitMax, timeWindow: auth.rateLimitWindowSeconds * 1000 };

  /** The Tokens body; RFC 6749 §5.1: a response carrying tokens must not be stored by any cache. */
  const sendTokens = (reply: FastifyReply, userId: number, sessionId: string, refreshToken: string) => {
    const access = app.issueAccessToken({ userId, sessionId });
    const body: TokensBody = {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
    };
    return reply.header('cache-control', 'no-store').send(body);
  };

  app.post(
    '/register',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'register',
        summary: 'Create an account',
        description:
          'The email is compared and stored lower-cased; the name is trimmed. The password is stored only as an argon2id hash.',
        headers: IdempotencyHeaders,
        body: ref(Registration),
        response: { 201: ref(User), ...problems(400, 406, 409, 413, 415, 429, 500, 503) },
      },
    },
    async (request, reply) => {
      const { email, password, name } = request.body;
      const user = await app.repositories.users.create({
        email: email.toLowerCase(),
        name: name.trim(),
        passwordHash: await hashPassword(password),
      });
      if (!user) throw conflict('An account with this email already exists.');
      return reply.code(201).send(presentUser(user, request.apiVersion));
    },
  );

  app.post(
    '/login',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Log in and start a session',
        description:
          'Each login starts a new session with its own access and refresh tokens. A deactivated account gets 401.',
        headers: IdempotencyHeaders,
        body: ref(Credentials),
        response: { 200: ref(Tokens), ...problems(400, 401, 406, 413, 415, 429, 500, 503) },
      },
    },
    async (request, reply) => {
      const user = await app.repositories.users.findByEmail(request.body.email.toLowerCase());
      if (!(await checkPassword(request.body.password, user?.passwordHash)) || !user) throw invalidCredentials();
      const sessionId = randomUUID();
      const refresh = mintRefreshToken(sessionId);
      const started = await app.repositories.sessions.create({
        id: sessionId,
        userId: user.id,
        expiresAt: new Date(Date.now() + auth.refreshTokenTtl * 1000),
        refreshTokenHash: refresh.hash,
      });
      // Said only to whoever knows the password.
      if (!started) throw unauthorized('This account is deactivated.');
      return sendTokens(reply, user.id, sessionId, refresh.token);
    },
  );

  app.post(
    '/refresh',
    {
      config: { rateLimit },
      schema: {
        tags: ['auth'],
        operationId: 'refreshTokens',
        summary: 'Exchange a refresh token for new tokens',
        description:
          'The refresh token is single-use: the response carries its successor. Presenting a used one again revokes the whole session.',
        headers: IdempotencyHeaders,
        body: ref(RefreshRequest),
        response: { 200: ref(Tokens), ...problems(400, 401, 406, 413, 415, 429, 500, 503) },
      },
    },
    async (request, reply) => {
      const presented = request.body.refresh_token;
      const sessionId = sessionOfRefreshToken(presented);
      if (!sessionId) throw unauthorized('The refresh token is invalid.');
      const next = mintRefreshToken(sessionId);
      const result = await app.repositories.sessions.rotate(sessionId, hashRefreshToken(presented), next.hash);
      if (result.outcome === 'reused')
        throw unauthorized('The refresh token was already used; the session is revoked.');
      if (result.outcome === 'invalid') throw unauthorized('The refresh token is invalid or its session has ended.');
      return sendTokens(reply, result.userId, sessionId, next.token);
    },
  );

  app.post(
    '/logout',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: 'End the current session',
        description: "Revokes this session's access and refresh tokens; other sessions stay valid.",
        security: [{ bearerAuth: [] }],
        headers: IdempotencyHeaders,
        // No body is expected, but one that is malformed, too large or not JSON is still refused.
        response: { 204: NoContent, ...problems(400, 401, 406, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      await app.repositories.sessions.revoke(request.user.sessionId);
      return reply.code(204).send(null);
    },
  );
};

export default authRoutes;
