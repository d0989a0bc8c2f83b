/** Accounts and tokens: the shapes of docs/api.md, "Accounts". */
import { type Static, Type } from '@sinclair/typebox';
import { SHARING_API_VERSION, since } from './api-version.js';
import { Id, NonBlankString, StringEnum, Timestamp } from './common.js';

export const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'An email address; compared and stored lower-cased.',
  examples: ['ada@example.com'],
});
const Password = Type.String({ minLength: 8, maxLength: 128, description: '8 to 128 characters.' });
const UserName = NonBlankString(100, 'A display name; surrounding whitespace is trimmed.');

const ROLE_DESCRIPTION = 'An account role: `admin` may use the /v1/admin routes. Granted only by the operator.';

const USER_ROLES = ['user', 'admin'] as const;

export const UserRole = StringEnum(USER_ROLES, { description: ROLE_DESCRIPTION });

export const User = Type.Object(
  {
    id: Id,
    email: Email,
    name: Type.String({ maxLength: 100 }),
    role: Type.Optional(StringEnum(USER_ROLES, { description: since(SHARING_API_VERSION, ROLE_DESCRIPTION) })),
    created_at: Timestamp,
  },
  { $id: 'User', additionalProperties: false },
);
export type UserBody = Static<typeof User>;

export const Tokens = Type.Object(
  {
    access_token: Type.String({ description: 'A short-lived JWT for the Authorization: Bearer header.' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ minimum: 1, description: 'Seconds until the access token expires.' }),
    refresh_token: Type.String({ description: 'An opaque token for POST /v1/auth/refresh; usable once.' }),
  },
  { $id: 'Tokens', additionalProperties: false },
);
export type TokensBody = Static<typeof Tokens>;

export const Registration = Type.Object(
  { email: Email, password: Password, name: UserName },
  { $id: 'Registration', additionalProperties: false },
);

export const Credentials = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 128 }) },
  { $id: 'Credentials', additionalProperties: false },
);

export const RefreshRequest = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { $id: 'RefreshRequest', additionalProperties: false },
);
