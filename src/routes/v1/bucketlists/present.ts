/** The API representation of a bucketlist row, in the request's API version. */
import type { BucketlistRow } from '../../../repositories/bucketlists.js';
import type { ApiVersion } from '../../../schemas/api-version.js';
import type { BucketlistBody } from '../../../schemas/bucketlists.js';
import { showsSharing } from '../api-version.js';

/** A bucketlist's own fields, as every version shows them (and exports copy them). */
export function presentBucketlistFields(row: Omit<BucketlistRow, 'ownerId' | 'role'>): BucketlistBody {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    item_count: row.itemCount,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function presentBucketlist(row: BucketlistRow, version: ApiVersion): BucketlistBody {
  const body = presentBucketlistFields(row);
  if (showsSharing(version)) {
    body.owner_id = row.ownerId;
    body.role = row.role;
  }
  return body;
}
