/**
 * Who may do what with a bucketlist, as SQL for the WHERE clause of the statement that reads or
 * writes: its owner may do anything, an editor may read and change it and its items, a viewer may
 * read them. Each predicate names the bucketlist by id and the caller by user id; the membership
 * test is an EXISTS that PostgreSQL evaluates only when the owner test fails, so an owner's
 * statement does the work it did before sharing existed.
 */
import { type AnyColumn, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { memberships } from '../db/schema.js';

export type BucketlistRole = 'owner' | 'editor' | 'viewer';

type Operand = AnyColumn | Placeholder | SQL | number;

/** EXISTS (the user is a member of the bucketlist, as an editor when `editorsOnly`). */
export const isMember = (bucketlistId: Operand, userId: Operand, editorsOnly = false) =>
  sql`exists (select 1 from ${memberships} where ${memberships.bucketlistId} = ${bucketlistId} and ${
    memberships.userId
  } = ${userId}${editorsOnly ? sql` and ${memberships.role} = 'editor'` : sql``})`;

/** The user owns the bucketlist or is one of its members. */
export const mayRead = (bucketlistId: Operand, ownerId: AnyColumn, userId: Operand) =>
  sql`(${ownerId} = ${userId} or ${isMember(bucketlistId, userId)})`;

/** The user owns the bucketlist or is one of its editors. */
export const mayEdit = (bucketlistId: Operand, ownerId: AnyColumn, userId: Operand) =>
  sql`(${ownerId} = ${userId} or ${isMember(bucketlistId, userId, true)})`;

/** The user's role on the bucketlist (NULL when there is none). */
export const roleOn = (bucketlistId: Operand, ownerId: AnyColumn, userId: Operand) => {
  // A fragment of its own: Drizzle writes the columns of a single-table select's own fields without
  // their table, and inside this subquery a bare column would resolve to memberships' first.
  const memberRole = sql`(select ${memberships.role} from ${memberships} where ${memberships.bucketlistId} = ${bucketlistId} and ${memberships.userId} = ${userId})`;
  return sql<BucketlistRole>`(case when ${ownerId} = ${userId} then 'owner' else ${memberRole} end)`;
};

/** What a role allows on a bucketlist's contents, for telling a write refused (403) from one not found (404). */
export const accessOf = (role: BucketlistRole | undefined) =>
  role === undefined ? 'none' : role === 'viewer' ? 'read' : 'write';
