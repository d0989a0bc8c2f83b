/**
 * Sessions and their refresh tokens. A session is what logout revokes; every authenticated
 * request must see it active: in the statement that reads or writes the caller's data
 * (`sessionIsActive`, `ownerOfActiveSession`), or else with one prepared primary-key lookup
 * (`isActive`).
 */
import { and, eq, gt, isNotNull, isNull, lte, or, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { refreshTokens, sessions, users } from '../db/schema.js';

/** The caller of an authenticated request: a user, and the session its access token names. */
export interface Viewer {
  userId: number;
  sessionId: string;
}

/** The session of this id and user, while it is not revoked. */
const activeSession = (sessionId: string | Placeholder, userId: number | Placeholder) =>
  and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt));

/**
 * `EXISTS (the session is active)`, for a read's own WHERE clause: the read then returns nothing
 * to a revoked session, and the request needs no separate session query. On an empty result the
 * caller asks `isActive` to tell a revoked session (401) from a missing row (404).
 */
export const sessionIsActive = (sessionId: string | Placeholder, userId: number | Placeholder) =>
  sql`exists (select 1 from ${sessions} where ${activeSession(sessionId, userId)})`;

/**
 * `(the session's user, while the session is active)`: the owner value of an INSERT, which so
 * checks the session in its own statement. For a revoked session it is NULL, and the owner
 * column's NOT NULL constraint refuses the row (NOT_NULL_VIOLATION): nothing is written.
 */
export const ownerOfActiveSession = (sessionId: string | Placeholder, userId: number | Placeholder) =>
  sql`(select ${sessions.userId} from ${sessions} where ${activeSession(sessionId, userId)})`;

/** SQLSTATE of an INSERT whose `ownerOfActiveSession` found no active session. */
export const NOT_NULL_VIOLATION = '23502';

export type RotationResult = { outcome: 'rotated'; userId: number } | { outcome: 'reused' } | { outcome: 'invalid' };

export function createSessionRepository(db: Database) {
  const active = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(activeSession(sql.placeholder('sessionId'), sql.placeholder('userId')))
    .prepare('sessions_active');

  return {
    /**
     * Starts the session, unless the account is deactivated (false). The user row is locked FOR
     * SHARE until the session is committed, so a deactivation, which updates that row, either
     * waits for this session and then revokes it, or commits first and this finds the account
     * deactivated.
     */
    async create(values: { id: string; userId: number; expiresAt: Date; refreshTokenHash: string }) {
      return db.transaction(async (tx) => {
        const [active] = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.id, values.userId), isNull(users.deactivatedAt)))
          .for('share');
        if (!active) return false;
        await tx.insert(sessions).values({ id: values.id, userId: values.userId, expiresAt: values.expiresAt });
        await tx.insert(refreshTokens).values({ tokenHash: values.refreshTokenHash, sessionId: values.id });
        return true;
      });
    },

    async isActive(sessionId: string, userId: number): Promise<boolean> {
      const rows = await active.execute({ sessionId, userId });
      return rows.length > 0;
    },

    /**
     * Exchanges a refresh token for a new one in the same session. A token that was already
     * used means it leaked (or a client misbehaves): the whole session is revoked (OAuth 2.0
     * Security BCP, refresh token rotation).
     */
    async rotate(sessionId: string, oldHash: string, newHash: string): Promise<RotationResult> {
      return db.transaction(async (tx) => {
        const [claimed] = await tx
          .update(refreshTokens)
          .set({ usedAt: sql`now()` })
          .where(
            and(
              eq(refreshTokens.tokenHash, oldHash),
              eq(refreshTokens.sessionId, sessionId),
              isNull(refreshTokens.usedAt),
            ),
          )
          .returning({ sessionId: refreshTokens.sessionId });
        if (!claimed) {
          const [known] = await tx
            .select({ usedAt: refreshTokens.usedAt })
            .from(refreshTokens)
            .where(and(eq(refreshTokens.tokenHash, oldHash), eq(refreshTokens.sessionId, sessionId)));
          if (!known) return { outcome: 'invalid' };
          await tx
            .update(sessions)
            .set({ revokedAt: sql`now()` })
            .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
          return { outcome: 'reused' };
        }
        const [session] = await tx
          .select({ userId: sessions.userId })
          .from(sessions)
          .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)));
        if (!session) return { outcome: 'invalid' };
        await tx.insert(refreshTokens).values({ tokenHash: newHash, sessionId });
        return { outcome: 'rotated', userId: session.userId };
      });
    },

    /** Deletes sessions that can never be used again (expired or revoked), with their refresh tokens; returns how many. */
    async purgeEnded(): Promise<number> {
      const purged = await db
        .delete(sessions)
        .where(or(isNotNull(sessions.revokedAt), lte(sessions.expiresAt, sql`now()`)))
        .returning({ id: sessions.id });
      return purged.length;
    },

    async revoke(sessionId: string): Promise<void> {
      await db
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
    },
  };
}
