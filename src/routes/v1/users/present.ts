/** The API representation of a user row, in the request's API version. */
import type { UserRow } from '../../../repositories/users.js';
import type { ApiVersion } from '../../../schemas/api-version.js';
import type { UserBody } from '../../../schemas/auth.js';
import { showsSharing } from '../api-version.js';

export function presentUser(user: UserRow, version: ApiVersion): UserBody {
  const body: UserBody = { id: user.id, email: user.email, name: user.name, created_at: user.createdAt };
  if (showsSharing(version)) body.role = user.role;
  return body;
}
