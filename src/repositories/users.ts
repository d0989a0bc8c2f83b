/** Users: registration and lookup. Emails arrive lower-cased from the route. */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { users } from '../db/schema.js';
import { sessionIsActive, type Viewer } from './sessions.js';

export type UserRow = typeof users.$inferSelect;

export function createUserRepository(db: Database) {
  const visibleById = db
    .select()
    .from(users)
    .where(
      and(eq(users.id, sql.placeholder('id')), sessionIsActive(sql.placeholder('sessionId'), sql.placeholder('id'))),
    )
    .prepare('users_visible_by_id');
  const byEmail = db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder('email')))
    .prepare('users_by_email');

  return {
    /** The new user, or undefined when the email is taken. */
    async create(values: { email: string; name: string; passwordHash: string }) {
      const [user] = await db.insert(users).values(values).onConflictDoNothing({ target: users.email }).returning();
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
  };
}
