/** The API representation of a bucketlist row. */
import type { BucketlistRow } from '../../../repositories/bucketlists.js';
import type { BucketlistBody } from '../../../schemas/bucketlists.js';

export const presentBucketlist = (row: BucketlistRow): BucketlistBody => ({
  id: row.id,
  owner_id: row.ownerId,
  role: row.role,
  name: row.name,
  description: row.description,
  item_count: row.itemCount,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});
