/** Members of a shared bucketlist: the users it is shared with, and their role. */
import { type Static, Type } from '@sinclair/typebox';
import { Email } from './auth.js';
import { Id, PageOf, PageQueryFields, StringEnum, Timestamp } from './common.js';

const MemberRole = StringEnum(['viewer', 'editor'], {
  description: 'A viewer reads the bucketlist and its items; an editor also changes them.',
});

export const Member = Type.Object(
  {
    user_id: Id,
    email: Type.String({ maxLength: 254 }),
    name: Type.String({ maxLength: 100 }),
    role: MemberRole,
    created_at: Timestamp,
  },
  { $id: 'Member', additionalProperties: false, description: 'A user a bucketlist is shared with.' },
);
export type MemberBody = Static<typeof Member>;

export const MemberCreate = Type.Object(
  { email: Email, role: MemberRole },
  { $id: 'MemberCreate', additionalProperties: false, description: 'Share with the registered user of this email.' },
);

export const MemberPatch = Type.Object(
  { role: MemberRole },
  { $id: 'MemberPatch', additionalProperties: false, description: "The member's new role." },
);

export const MemberParams = Type.Object({ id: Id, user_id: Id }, { additionalProperties: false });

const { page, page_size } = PageQueryFields;
export const MemberListQuery = Type.Object({ page, page_size }, { additionalProperties: false });

export const MemberPage = PageOf(Member, 'MemberPage');
