/** Items: the resource, its inputs and its page. */
import { type Static, Type } from '@sinclair/typebox';
import { NameInput as Name } from './bucketlists.js';
import { CursorQueryField, Id, PageOf, PageQueryFields, SortParam, Timestamp } from './common.js';

const Done = Type.Boolean({ description: 'Whether the item is ticked off.' });

export const Item = Type.Object(
  {
    id: Id,
    bucketlist_id: Id,
    name: Type.String({ maxLength: 255 }),
    done: Done,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Item', additionalProperties: false },
);
export type ItemBody = Static<typeof Item>;

export const ItemCreate = Type.Object(
  { name: Name, done: Type.Optional(Type.Boolean({ default: false, description: 'Defaults to false.' })) },
  { $id: 'ItemCreate', additionalProperties: false },
);

export type ItemCreateBody = Static<typeof ItemCreate>;

export const ItemReplace = Type.Object({ name: Name, done: Done }, { $id: 'ItemReplace', additionalProperties: false });

export const ItemPatch = Type.Object(
  { name: Type.Optional(Name), done: Type.Optional(Done) },
  { $id: 'ItemPatch', additionalProperties: false, minProperties: 1, description: 'At least one field.' },
);
export type ItemPatchBody = Static<typeof ItemPatch>;

export const ITEM_SORT_FIELDS = ['id', 'name', 'created_at', 'updated_at', 'done'] as const;

export const ItemListQuery = Type.Object(
  {
    ...PageQueryFields,
    ...CursorQueryField,
    sort: SortParam(ITEM_SORT_FIELDS),
    done: Type.Optional(Type.Boolean({ description: 'Only items with this state: exactly `true` or `false`.' })),
  },
  { additionalProperties: false },
);
export type ItemListQueryValue = Static<typeof ItemListQuery>;

export const ItemParams = Type.Object({ id: Id, item_id: Id }, { additionalProperties: false });

export const ItemPage = PageOf(Item, 'ItemPage');
