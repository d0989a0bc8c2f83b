/**
 * Authentication: HS256 access tokens (@fastify/jwt, on fast-jwt) that name a user and a
 * session, and the `authenticate` hook every protected route uses. A token is accepted only
 * while its session is active in the database, so logout holds on every instance at once.
 */
import jwt from '@fastify/jwt';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { invalidToken, unauthorized } from '../errors.js';
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
     * The route reads only through statements that require the session to be active
     * (`sessionIsActive` in src/repositories/sessions.ts), saving the hook's session query on
     * every request; when such a read finds nothing, the route must call `requireActiveSession`
     * before answering 404, so that a revoked session still gets its 401.
     */
    sessionCheckedInQuery?: boolean;
  }
  interface FastifyInstance {
    /**
     * onRequest hook: 401 unless the request carries a valid token of an active session. On a
     * route with `sessionCheckedInQuery`, only the token is checked here (see below).
     */
    authenticate(request: FastifyRequest): Promise<void>;
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

    app.decorate('authenticate', async (request: FastifyRequest) => {
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
      if (!request.routeOptions.config.sessionCheckedInQuery) await app.requireActiveSession(request);
    });

    app.decorate('requireActiveSession', async (request: FastifyRequest) => {
      if (!(await app.repositories.sessions.isActive(request.user.sessionId, request.user.userId))) {
        throw invalidToken('The session has ended; log in again.');
      }
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['database'] },
);
