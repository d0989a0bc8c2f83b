/** All queries, grouped by resource; built once per database handle. */
import type { Database } from '../db/client.js';
import { createBucketlistRepository } from './bucketlists.js';
import { createIdempotencyRepository } from './idempotency.js';
import { createExportRepository } from './exports.js';
import { createItemCountRepository } from './item-counts.js';
import { createItemRepository } from './items.js';
import { createMemberRepository } from './members.js';
import { createSessionRepository } from './sessions.js';
import { createUserRepository } from './users.js';

export function createRepositories(db: Database) {
  return {
    users: createUserRepository(db),
    sessions: createSessionRepository(db),
    bucketlists: createBucketlistRepository(db),
    items: createItemRepository(db),
    itemCounts: createItemCountRepository(db),
    idempotency: createIdempotencyRepository(db),
    exports: createExportRepository(db),
    members: createMemberRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
