/**
 * Sessions and their refresh tokens. A session is what logout revokes; the check that it is
 * still active runs on every authenticated request, so it is one prepared primary-key lookup.
 */
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { refreshTokens, sessions } from '../db/schema.js';

export type RotationResult = { outcome: 'rotated'; userId: number } | { outcome: 'reused' } | { outcome: 'invalid' };

export function createSessionRepository(db: Database) {
  const active = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
      ),
    )
    .prepare('sessions_active');

  return {
    async create(values: { id: string; userId: number; expiresAt: Date; refreshTokenHash: string }) {
      await db.transaction(async (tx) => {
        await tx.insert(sessions).values({ id: values.id, userId: values.userId, expiresAt: values.expiresAt });
        await tx.insert(refreshTokens).values({ tokenHash: values.refreshTokenHash, sessionId: values.id });
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

    async revoke(sessionId: string): Promise<void> {
      await db
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
    },
  };
}
