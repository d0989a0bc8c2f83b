/** A user row as an admin sees it. */
import type { UserRow } from '../../../repositories/users.js';
import type { AdminUserBody } from '../../../schemas/admin.js';

export const presentAdminUser = (user: UserRow): AdminUserBody => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  active: user.deactivatedAt === null,
  deactivated_at: user.deactivatedAt,
  created_at: user.createdAt,
});
