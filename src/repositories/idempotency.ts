/**
 * Idempotency keys: claiming a key for a request, storing the response it got, and reading it
 * back for a retry. A claim is one INSERT … ON CONFLICT, so of two requests racing with one key
 * (on any instances) exactly one claims it; an expired key, or one whose request died before it
 * answered, may be claimed again.
 */
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';

/** A response as stored for replay. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'in_progress' }
  | { outcome: 'mismatch' };

export interface ClaimTimes {
  /** How long a key is kept, seconds. */
  ttlSeconds: number;
  /** After how long a claim whose request never answered is abandoned, seconds. */
  abandonedAfterSeconds: number;
}

const olderThan = (seconds: number) => lt(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${seconds})`);

export function createIdempotencyRepository(db: Database) {
  const mine = (ownerId: number, key: string) =>
    and(eq(idempotencyKeys.ownerId, ownerId), eq(idempotencyKeys.key, key));

  const tryClaim = async (ownerId: number, key: string, fingerprint: string, times: ClaimTimes) => {
    const claimed = await db
      .insert(idempotencyKeys)
      .values({ ownerId, key, fingerprint })
      .onConflictDoUpdate({
        target: [idempotencyKeys.ownerId, idempotencyKeys.key],
        set: { fingerprint, status: null, headers: null, body: null, createdAt: sql`now()` },
        setWhere: or(
          olderThan(times.ttlSeconds),
          and(isNull(idempotencyKeys.status), olderThan(times.abandonedAfterSeconds)),
        ),
      })
      .returning({ key: idempotencyKeys.key });
    return claimed.length > 0;
  };

  const existing = async (ownerId: number, key: string) => {
    const [row] = await db
      .select({
        fingerprint: idempotencyKeys.fingerprint,
        status: idempotencyKeys.status,
        headers: idempotencyKeys.headers,
        body: idempotencyKeys.body,
      })
      .from(idempotencyKeys)
      .where(mine(ownerId, key));
    return row;
  };

  return {
    /** Claims the key for this request, or says what the earlier request with it left. */
    async claim(ownerId: number, key: string, fingerprint: string, times: ClaimTimes): Promise<ClaimResult> {
      // Twice at most: a key released (its request failed) between the two statements is free again.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (await tryClaim(ownerId, key, fingerprint, times)) return { outcome: 'claimed' };
        const row = await existing(ownerId, key);
        if (!row) continue;
        if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
        if (row.status === null) return { outcome: 'in_progress' };
        return {
          outcome: 'replay',
          response: { status: row.status, headers: row.headers ?? {}, body: row.body ?? '' },
        };
      }
      return { outcome: 'in_progress' };
    },

    async complete(ownerId: number, key: string, response: StoredResponse): Promise<void> {
      await db
        .update(idempotencyKeys)
        .set({ status: response.status, headers: response.headers, body: response.body })
        .where(mine(ownerId, key));
    },

    /** Frees the key again: its request failed on the server's side and may be retried with it. */
    async release(ownerId: number, key: string): Promise<void> {
      await db.delete(idempotencyKeys).where(and(mine(ownerId, key), isNull(idempotencyKeys.status)));
    },

    /** Deletes the keys older than their lifetime; returns how many. */
    async purgeExpired(ttlSeconds: number): Promise<number> {
      const deleted = await db
        .delete(idempotencyKeys)
        .where(olderThan(ttlSeconds))
        .returning({ key: idempotencyKeys.key });
      return deleted.length;
    },
  };
}
