/** Bucketlists: the resource, its inputs and its page. */
import { type Static, Type } from '@sinclair/typebox';
import { SHARING_API_VERSION, since } from './api-version.js';
import {
  CursorQueryField,
  Id,
  MAX_INT32,
  NonBlankString,
  PageOf,
  PageQueryFields,
  SortParam,
  StorableString,
  StringEnum,
  Timestamp,
} from './common.js';

/** The name of a bucketlist or an item, as clients send it. */
export const NameInput = NonBlankString(
  255,
  'At least one non-whitespace character; surrounding whitespace is trimmed.',
);

const Description = Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
  description: 'Free text, up to 2000 characters, or null.',
});
const DescriptionInput = Type.Union([StorableString(2000), Type.Null()], {
  description: 'Free text, up to 2000 characters, or null.',
});

const ROLE_DESCRIPTION =
  "The caller's role on the bucketlist: its owner, or a member it was shared with (an editor may change it and its items, a viewer only read them).";

export const Bucketlist = Type.Object(
  {
    id: Id,
    owner_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_INT32,
        description: since(SHARING_API_VERSION, 'The id of the user who owns the bucketlist.'),
      }),
    ),
    role: Type.Optional(
      StringEnum(['owner', 'editor', 'viewer'], { description: since(SHARING_API_VERSION, ROLE_DESCRIPTION) }),
    ),
    name: Type.String({ maxLength: 255 }),
    description: Description,
    item_count: Type.Integer({ minimum: 0, description: 'How many items the bucketlist holds.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Bucketlist', additionalProperties: false },
);
export type BucketlistBody = Static<typeof Bucketlist>;

export const BucketlistInput = Type.Object(
  { name: NameInput, description: Type.Optional(DescriptionInput) },
  {
    $id: 'BucketlistInput',
    additionalProperties: false,
    description: 'A whole bucketlist, to create or to replace one: an omitted description is null.',
  },
);
export type BucketlistInputBody = Static<typeof BucketlistInput>;

export const BucketlistPatch = Type.Object(
  { name: Type.Optional(NameInput), description: Type.Optional(DescriptionInput) },
  { $id: 'BucketlistPatch', additionalProperties: false, minProperties: 1, description: 'At least one field.' },
);
export type BucketlistPatchBody = Static<typeof BucketlistPatch>;

export const BUCKETLIST_SORT_FIELDS = ['id', 'name', 'created_at', 'updated_at'] as const;

export const BucketlistListQuery = Type.Object(
  {
    scope: Type.Optional(
      Type.Union([Type.Literal('owned'), Type.Literal('shared'), Type.Literal('all')], {
        default: 'owned',
        description: "The caller's own bucketlists, those shared with the caller, or both.",
      }),
    ),
    ...PageQueryFields,
    ...CursorQueryField,
    sort: SortParam(BUCKETLIST_SORT_FIELDS),
  },
  { additionalProperties: false },
);
export type BucketlistListQueryValue = Static<typeof BucketlistListQuery>;

export const BucketlistPage = PageOf(Bucketlist, 'BucketlistPage');
