/**
 * Users: registration, lookup, and the admins' management of accounts. Emails arrive lower-cased
 * from the route.
 */
import { and, eq, isNull, like, or, type Placeholder, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { foldCase } from '../db/folding.js';
import { sessions, users } from '../db/schema.js';
import { canMatchStoredText, containsPattern } from './search.js';
import { sessionIsActive, type Viewer } from './sessions.js';
import { orderBy, pageOf, pageTotal, preparedPerShape } from './writes.js';

export type UserRow = typeof users.$inferSelect;

export interface UserListOptions {
  page: number;
  pageSize: number;
  sort: string;
  q?: string;
}

const SORT_COLUMNS = { id: users.id, email: users.email, created_at: users.createdAt };

/** Users whose email or name contains the pattern (both are stored folded). */
const matching = (pattern: string | Placeholder | undefined) =>
  pattern === undefined ? undefined : or(like(users.email, pattern), like(users.nameFolded, pattern));

export function createUserRepository(db: Database) {
  const byIdPlaceholder = eq(users.id, sql.placeholder('id'));
  const visibleById = db
    .select()
    .from(users)
    .where(and(byIdPlaceholder, sessionIsActive(sql.placeholder('sessionId'), sql.placeholder('id'))))
    .prepare('users_visible_by_id');
  const byEmail = db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder('email')))
    .prepare('users_by_email');
  const byId = db.select().from(users).where(byIdPlaceholder).prepare('users_by_id');
  // The caller's role, while the caller's session is active.
  const roleOfSession = db
    .select({ role: users.role })
    .from(users)
    .where(and(byIdPlaceholder, sessionIsActive(sql.placeholder('sessionId'), sql.placeholder('id'))))
    .prepare('users_role_of_session');

  const listStatement = preparedPerShape((sort: string, searching: boolean) => {
    const where = matching(searching ? sql.placeholder('pattern') : undefined);
    return db
      .select({ row: users, total: pageTotal(db, users, where) })
      .from(users)
      .where(where)
      .orderBy(...orderBy(sort, SORT_COLUMNS, users.id))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .prepare(`users_list_${sort}_${searching}`);
  });

  return {
    /** The new user, or undefined when the email is taken. */
    async create(values: { email: string; name: string; passwordHash: string }) {
      const [user] = await db
        .insert(users)
        .values({ ...values, nameFolded: foldCase(values.name) })
        .onConflictDoNothing({ target: users.email })
        .returning();
      return user;
    },
    /** The caller's own user row, if its session is active. */
    async findVisible(viewer: Viewer) {
      const [user] = await visibleById.execute({ id: viewer.userId, sessionId: viewer.sessionId });
      return user;
    },
    async findByEmail(email: string) {
      const [user] = await byEmail.execute({ email });
      return user;
    },
    async findById(id: number) {
      const [user] = await byId.execute({ id });
      return user;
    },
    /** The caller's account role, or undefined when the caller's session is not active. */
    async roleOf(viewer: Viewer) {
      const [row] = await roleOfSession.execute({ id: viewer.userId, sessionId: viewer.sessionId });
      return row?.role;
    },

    /** A page of all users, optionally only those whose email or name contains `q`. */
    async list(options: UserListOptions) {
      if (options.q && !canMatchStoredText(options.q)) return { rows: [], total: 0 };
      const pattern = options.q ? containsPattern(options.q) : undefined;
      const offset = (options.page - 1) * options.pageSize;
      const results = await listStatement(options.sort, pattern !== undefined).execute({
        pattern,
        limit: options.pageSize,
        offset,
      });
      return pageOf(results, offset, () => db.$count(users, matching(pattern)));
    },

    /**
     * Deactivates the account and revokes every one of its sessions, in one transaction: each
     * session's next request, on any instance, finds it revoked. A login racing with this either
     * locks the user row first (and its session is then revoked here) or waits and sees the
     * account deactivated (see sessions.create). Undefined when there is no such user.
     */
    async deactivate(id: number) {
      return db.transaction(async (tx) => {
        const [user] = await tx
          .update(users)
          .set({
            deactivatedAt: sql`coalesce(${users.deactivatedAt}, now())`,
            version: sql`${users.version} + case when ${users.deactivatedAt} is null then 1 else 0 end`,
          })
          .where(eq(users.id, id))
          .returning();
        if (!user) return undefined;
        await tx
          .update(sessions)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt)));
        return user;
      });
    },

    /** Lets the account log in again (its old sessions stay revoked). Undefined when there is no such user. */
    async reactivate(id: number) {
      const [user] = await db
        .update(users)
        .set({
          deactivatedAt: null,
          version: sql`${users.version} + case when ${users.deactivatedAt} is null then 0 else 1 end`,
        })
        .where(eq(users.id, id))
        .returning();
      return user;
    },

    /** Deletes the account with its sessions, bucketlists, items and memberships (foreign keys cascade). */
    async remove(id: number) {
      const [user] = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return user !== undefined;
    },

    /** Makes the account of this email an admin; undefined when there is none. */
    async promote(email: string) {
      const [user] = await db
        .update(users)
        .set({
          role: 'admin',
          version: sql`${users.version} + case when ${users.role} = 'admin' then 0 else 1 end`,
        })
        .where(eq(users.email, email))
        .returning();
      return user;
    },
  };
}
