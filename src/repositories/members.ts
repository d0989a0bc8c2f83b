/**
 * Memberships: who a bucketlist is shared with. Sharing, changing a role and listing check the
 * caller's access in the statement itself (the owner's id is the membership's own owner_id);
 * a statement that finds nothing is explained afterwards (404, 403 or 409).
 */
import { and, asc, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { bucketlists, memberships, users } from '../db/schema.js';
import { isMember } from './access.js';
import { NOT_NULL_VIOLATION, sessionIsActive, type Viewer } from './sessions.js';
import { hasSqlState, pageOf, pageTotal } from './writes.js';

export type MemberRole = 'viewer' | 'editor';

export interface MemberRow {
  userId: number;
  email: string;
  name: string;
  role: MemberRole;
  createdAt: string;
}

const CHECK_VIOLATION = '23514';

/** Sharing's outcome: the new member, or why there is none. */
export type ShareResult = { status: 'ok'; row: MemberRow } | { status: 'not_owner' } | { status: 'conflict' };

export function createMemberRepository(db: Database) {
  const USER_ID = sql.placeholder('userId');
  const BUCKETLIST_ID = sql.placeholder('bucketlistId');
  const activeViewer = sessionIsActive(sql.placeholder('sessionId'), USER_ID);
  const PRESENTED = {
    userId: memberships.userId,
    email: users.email,
    name: users.name,
    role: memberships.role,
    createdAt: memberships.createdAt,
  };
  const ofBucketlist = and(
    eq(memberships.bucketlistId, BUCKETLIST_ID),
    or(eq(memberships.ownerId, USER_ID), isMember(BUCKETLIST_ID, USER_ID)),
  );
  const list = db
    .select({ row: PRESENTED, total: pageTotal(db, memberships, ofBucketlist) })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(ofBucketlist, activeViewer))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId))
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare('memberships_list');
  const byUser = db
    .select(PRESENTED)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(ofBucketlist, eq(memberships.userId, sql.placeholder('memberId')), activeViewer))
    .prepare('memberships_by_user');
  const insert = db
    .insert(memberships)
    .values({
      bucketlistId: BUCKETLIST_ID,
      // The bucketlist's owner, if that is the caller and its session is active; otherwise NULL,
      // which the NOT NULL constraint refuses: nothing is written.
      ownerId: sql`(select ${bucketlists.ownerId} from ${bucketlists} where ${and(
        eq(bucketlists.id, BUCKETLIST_ID),
        eq(bucketlists.ownerId, USER_ID),
        activeViewer,
      )})`,
      userId: sql.placeholder('memberId'),
      role: sql.placeholder('role'),
    })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId, role: memberships.role, createdAt: memberships.createdAt })
    .prepare('memberships_insert');
  // The owner's own membership rows: owner_id is the caller.
  const ownedMembership = and(
    eq(memberships.bucketlistId, BUCKETLIST_ID),
    eq(memberships.userId, sql.placeholder('memberId')),
    eq(memberships.ownerId, USER_ID),
    activeViewer,
  );
  const changeRole = db
    .update(memberships)
    .set({ role: sql`${sql.placeholder('role')}` })
    .where(ownedMembership)
    .returning({ userId: memberships.userId })
    .prepare('memberships_change_role');
  const remove = db
    .delete(memberships)
    .where(
      and(
        eq(memberships.bucketlistId, BUCKETLIST_ID),
        eq(memberships.userId, sql.placeholder('memberId')),
        // The owner removes anyone; a member removes itself.
        or(eq(memberships.ownerId, USER_ID), eq(memberships.userId, USER_ID)),
        activeViewer,
      ),
    )
    .returning({ userId: memberships.userId })
    .prepare('memberships_delete');

  const params = (viewer: Viewer, bucketlistId: number) => ({
    userId: viewer.userId,
    sessionId: viewer.sessionId,
    bucketlistId,
  });
  const find = async (viewer: Viewer, bucketlistId: number, memberId: number): Promise<MemberRow | undefined> =>
    (await byUser.execute({ ...params(viewer, bucketlistId), memberId }))[0];

  return {
    find,

    /** A page of the bucketlist's members, if the viewer may see it (empty otherwise). */
    async list(viewer: Viewer, bucketlistId: number, options: { page: number; pageSize: number }) {
      const offset = (options.page - 1) * options.pageSize;
      const results = await list.execute({ ...params(viewer, bucketlistId), limit: options.pageSize, offset });
      return pageOf(results, offset, () => db.$count(memberships, eq(memberships.bucketlistId, bucketlistId)));
    },

    /** Shares the bucketlist with the user, if the viewer owns it; a conflict for oneself or an existing member. */
    async share(
      viewer: Viewer,
      bucketlistId: number,
      member: { id: number; email: string; name: string },
      role: MemberRole,
    ): Promise<ShareResult> {
      try {
        const [row] = await insert.execute({ ...params(viewer, bucketlistId), memberId: member.id, role });
        if (!row) return { status: 'conflict' };
        return { status: 'ok', row: { ...row, email: member.email, name: member.name } };
      } catch (error) {
        if (hasSqlState(error, NOT_NULL_VIOLATION)) return { status: 'not_owner' };
        if (hasSqlState(error, CHECK_VIOLATION)) return { status: 'conflict' };
        throw error;
      }
    },

    /** The member with its new role, or undefined when the viewer does not own the bucketlist or it has no such member. */
    async changeRole(viewer: Viewer, bucketlistId: number, memberId: number, role: MemberRole) {
      const [row] = await changeRole.execute({ ...params(viewer, bucketlistId), memberId, role });
      return row ? find(viewer, bucketlistId, memberId) : undefined;
    },

    /** True when the membership was removed (by the owner, or by the member itself). */
    async remove(viewer: Viewer, bucketlistId: number, memberId: number) {
      const [row] = await remove.execute({ ...params(viewer, bucketlistId), memberId });
      return row !== undefined;
    },
  };
}
