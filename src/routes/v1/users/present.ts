/** The API representation of a user row. */
import type { UserRow } from '../../../repositories/users.js';
import type { UserBody } from '../../../schemas/auth.js';

export const presentUser = (user: UserRow): UserBody => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  created_at: user.createdAt,
});
