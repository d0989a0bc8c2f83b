/** Users: registration and lookup. Emails arrive lower-cased from the route. */
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { users } from '../db/schema.js';

export type UserRow = typeof users.$inferSelect;

export function createUserRepository(db: Database) {
  const byId = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('users_by_id');
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
    async findById(id: number) {
      const [user] = await byId.execute({ id });
      return user;
    },
    async findByEmail(email: string) {
      const [user] = await byEmail.execute({ email });
      return user;
    },
  };
}
