/** The seeded rows the bench's scenario tests work on: two users, three bucketlists, two items. */
import type { Fixture } from '../../bench/lib/database.js';

export const fixture: Fixture = {
  users: [
    { id: 1, email: 'a@example.com' },
    { id: 2, email: 'b@example.com' },
  ],
  bucketlists: [
    { id: 10, ownerId: 1 },
    { id: 11, ownerId: 1 },
    { id: 20, ownerId: 2 },
  ],
  items: [
    { id: 100, bucketlistId: 10, ownerId: 1 },
    { id: 200, bucketlistId: 20, ownerId: 2 },
  ],
  itemWord: 'café au lait',
  counts: { users: 2, bucketlists: 3, items: 2 },
};
export const tokens = new Map([
  [1, 'token-1'],
  [2, 'token-2'],
]);
