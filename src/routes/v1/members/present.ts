/** The API representation of a membership. */
import type { MemberRow } from '../../../repositories/members.js';
import type { MemberBody } from '../../../schemas/members.js';

export const presentMember = (row: MemberRow): MemberBody => ({
  user_id: row.userId,
  email: row.email,
  name: row.name,
  role: row.role,
  created_at: row.createdAt,
});
