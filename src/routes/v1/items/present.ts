/** The API representation of an item row. */
import type { ItemRow } from '../../../repositories/items.js';
import type { ItemBody } from '../../../schemas/items.js';

export const presentItem = (row: ItemRow): ItemBody => ({
  id: row.id,
  bucketlist_id: row.bucketlistId,
  name: row.name,
  done: row.done,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
