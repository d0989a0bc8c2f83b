/**
 * Authentication: HS256 access tokens (@fastify/jwt, on fast-jwt) that name a user and a
 * session, and the `authenticate` hook every protected route uses. A token is accepted only
 * while its session is active in the database, so logout holds on every instance at once.
 */
import jwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { invalidToken, sessionEnded, unauthorized } from '../errors.js';
import type { Viewer } from '../repositories/sessions.js';

/** What the handlers of a protected route know about the caller. */
export type AuthenticatedUser = Viewer;

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; sid: string };
    user: AuthenticatedUser;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route reads and writes only through statements that require the session to be active
     * (`sessionIsActive`, `ownerOfActiveSession` in src/repositories/sessions.ts), saving the
     * hook's session query on every request. A revoked session then reads and writes nothing,
     * and must still get its 401 rather than the 404 or 412 of the empty outcome: the error
     * handler checks the session before answering any other 4xx of such a route, and a route
     * that answers an empty outcome without throwing calls `requireActiveSession` itself.
     */
    sessionCheckedInQuery?: boolean;
  }
  interface FastifyInstance {
    /**
     * onRequest hook: 401 unless the request carries a valid token of an active session. On a
     * route with `sessionCheckedInQuery`, only the token is checked here (see above), and the
     * hook completes synchronously.
     */
    authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
    /** Sets `request.user` to the caller the bearer token names; 401 unless the token is valid. */
    verifyAccessToken(request: FastifyRequest): void;
    /** 401 unless the session of the request's token is still active (logout revokes it). */
    requireActiveSession(request: FastifyRequest): Promise<void>;
    /** A signed access token for the session, and its lifetime in seconds. */
    issueAccessToken(user: AuthenticatedUser): { token: string; expiresIn: number };
  }
}

// RFC 6750 §2.1; the scheme name is case-insensitive (RFC 9110 §11.1).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_ID = /^[1-9][0-9]{0,9}$/;
const MAX_USER_ID = 2_147_483_647;

/** The caller named by verified claims, or undefined when they do not fit the columns they are looked up in. */
function callerOf(claims: { sub: unknown; sid: unknown }): AuthenticatedUser | undefined {
  const sub = String(claims.sub);
  const sid = String(claims.sid);
  if (!USER_ID.test(sub) || Number(sub) > MAX_USER_ID || !SESSION_ID.test(sid)) return undefined;
  return { userId: Number(sub), sessionId: sid };
}

export default fp<{ auth: Config['auth'] }>(
  async function auth(app, { auth: options }) {
    await app.register(jwt, {
      secret: options.jwtSecret,
      sign: { algorithm: 'HS256', expiresIn: `${options.accessTokenTtl}s` },
      // Only the server's algorithm: `alg: none` and asymmetric confusion are rejected.
      verify: { algorithms: ['HS256'], requiredClaims: ['sub', 'sid', 'exp'], cache: true },
    });

    app.decorate('issueAccessToken', (user: AuthenticatedUser) => ({
      token: app.jwt.sign({ sub: String(user.userId), sid: user.sessionId }),
      expiresIn: options.accessTokenTtl,
    }));

    app.decorate('verifyAccessToken', (request: FastifyRequest) => {
      const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
      if (!token) throw unauthorized();
      let claims: { sub: string; sid: string };
      try {
        claims = app.jwt.verify(token);
      } catch {
        throw invalidToken('The access token is invalid or has expired.');
      }
      const user = callerOf(claims);
      if (!user) throw invalidToken('The access token is invalid or has expired.');
      request.user = user;
    });

    // A callback hook, not an async one: on the routes that check the session in their own
    // statement there is nothing to wait for, so no promise is made for it.
    app.decorate('authenticate', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      app.verifyAccessToken(request);
      if (request.routeOptions.config.sessionCheckedInQuery) return done();
      app.requireActiveSession(request).then(() => done(), done);
    });

    app.decorate('requireActiveSession', async (request: FastifyRequest) => {
      if (!(await app.repositories.sessions.isActive(request.user.sessionId, request.user.userId))) {
        throw sessionEnded();
      }
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['database'] },
);
