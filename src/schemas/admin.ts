/** The administration of accounts: users as an admin sees them, and their page. */
import { type Static, Type } from '@sinclair/typebox';
import { Email, UserRole } from './auth.js';
import { Id, PageOf, PageQueryFields, SortParam, Timestamp } from './common.js';

export const AdminUser = Type.Object(
  {
    id: Id,
    email: Email,
    name: Type.String({ maxLength: 100 }),
    role: UserRole,
    active: Type.Boolean({ description: 'False while the account is deactivated: it cannot log in.' }),
    deactivated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the account was deactivated (RFC 3339, UTC), or null while it is active.',
    }),
    created_at: Timestamp,
  },
  { $id: 'AdminUser', additionalProperties: false, description: 'A user account as an admin sees it.' },
);
export type AdminUserBody = Static<typeof AdminUser>;

export const ADMIN_USER_SORT_FIELDS = ['id', 'email', 'created_at'] as const;

export const AdminUserListQuery = Type.Object(
  {
    ...PageQueryFields,
    q: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Case-insensitive literal search in email and name.' }),
    ),
    sort: SortParam(ADMIN_USER_SORT_FIELDS),
  },
  { additionalProperties: false },
);

export const AdminUserParams = Type.Object({ id: Id }, { additionalProperties: false });

export const AdminUserPage = PageOf(AdminUser, 'AdminUserPage');
