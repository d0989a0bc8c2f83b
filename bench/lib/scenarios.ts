/**
 * The scenarios: for each, the requests wrk cycles through, spread over several users and many
 * of their rows, so that no single row or cache line is all the server ever sees.
 */
import type { Fixture } from './database.js';
import type { ScriptedRequest } from './lua-data.js';

export type ScenarioName =
  | 'get-bucketlist'
  | 'get-shared-bucketlist'
  | 'list-bucketlists'
  | 'list-items'
  | 'post-item'
  | 'post-item-shared'
  | 'patch-item'
  | 'login';

export const APP_SCENARIOS: readonly ScenarioName[] = [
  'get-bucketlist',
  'list-bucketlists',
  'list-items',
  'post-item',
  'patch-item',
  'login',
  'get-shared-bucketlist',
  'post-item-shared',
];

export type BaselineName =
  | 'hello-world'
  | 'handwritten-get-bucketlist'
  | 'handwritten-list-bucketlists'
  | 'handwritten-post-item'
  | 'handwritten-embedded-get-bucketlist'
  | 'handwritten-embedded-post-item';

export const LABELS: Record<ScenarioName | BaselineName, string> = {
  'get-bucketlist': 'GET /v1/bucketlists/:id',
  'list-bucketlists': 'GET /v1/bucketlists?page_size=20 (page with total)',
  'list-items': 'GET /v1/bucketlists/:id/items?done=false&q=… (filtered page)',
  'post-item': 'POST /v1/bucketlists/:id/items',
  'get-shared-bucketlist': 'GET /v1/bucketlists/:id by a viewer it is shared with',
  'post-item-shared': 'POST /v1/bucketlists/:id/items, every connection into one bucketlist shared with its editors',
  'patch-item': 'PATCH /v1/bucketlists/:id/items/:item_id with If-Match',
  login: 'POST /v1/auth/login (argon2id)',
  'hello-world': 'bare Fastify hello world (GET /)',
  'handwritten-get-bucketlist': 'hand-written Fastify + fast-jwt + postgres.js GET /v1/bucketlists/:id',
  'handwritten-list-bucketlists': 'hand-written Fastify + fast-jwt + postgres.js GET /v1/bucketlists?page_size=20',
  'handwritten-post-item': 'hand-written Fastify + fast-jwt + postgres.js POST /v1/bucketlists/:id/items',
  'handwritten-embedded-get-bucketlist': 'hand-written Fastify + fast-jwt + PGlite GET /v1/bucketlists/:id',
  'handwritten-embedded-post-item': 'hand-written Fastify + fast-jwt + PGlite POST /v1/bucketlists/:id/items',
};

/** Orders entries so that consecutive requests come from different users (round-robin). */
export function interleaveByOwner<T extends { ownerId: number }>(entries: T[]): T[] {
  const byOwner = new Map<number, T[]>();
  for (const entry of entries) {
    const list = byOwner.get(entry.ownerId) ?? [];
    list.push(entry);
    byOwner.set(entry.ownerId, list);
  }
  const queues = [...byOwner.values()];
  const out: T[] = [];
  for (let index = 0; out.length < entries.length; index++) {
    for (const queue of queues) {
      const entry = queue[index];
      if (entry) out.push(entry);
    }
  }
  return out;
}

/** The most frequent word (3+ letters) in the texts: a search term that finds something. */
export function commonWord(texts: string[]): string {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of new Set(text.toLowerCase().match(/\p{L}{3,}/gu) ?? [])) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  let best = '';
  let bestCount = 0;
  for (const [word, count] of counts) {
    if (count > bestCount || (count === bestCount && word < best)) {
      best = word;
      bestCount = count;
    }
  }
  if (!best) throw new Error('no word of 3 or more letters in the item names');
  return best;
}

export interface ScenarioInputs {
  fixture: Fixture;
  /** An access token per user id. */
  tokens: Map<number, string>;
  password: string;
  /** For patch-item: the current ETag of each fixture item, by item id. */
  etags?: Map<number, string>;
  /** Pages of the bucketlist list to walk (1..n). */
  listPages?: number;
}

function tokenOf(tokens: Map<number, string>, userId: number): string {
  const token = tokens.get(userId);
  if (!token) throw new Error(`no access token for user ${userId}`);
  return token;
}

/** The name of every item the POST scenarios add, so that the bench can remove them between rounds. */
export const BENCH_ITEM_NAME = 'Added by the bench';
export const ITEM_BODY = JSON.stringify({ name: BENCH_ITEM_NAME, done: false });
export const PATCH_BODY = JSON.stringify({ done: true });

/** The bucketlist every editor writes into in post-item-shared: the first user's first. */
export const sharedTarget = (fixture: Fixture) => {
  const owner = fixture.users[0];
  const bucketlist = fixture.bucketlists.find((row) => row.ownerId === owner?.id);
  if (!owner || !bucketlist) throw new Error('the fixture has no bucketlist of its first user');
  return { bucketlistId: bucketlist.id, ownerId: owner.id, editors: fixture.users.filter((user) => user !== owner) };
};

/** How many of each user's bucketlists get-shared-bucketlist shares with the next user. */
export const SHARED_PER_USER = 10;

/** For get-shared-bucketlist: the bucketlists each user shares with the next user, and that viewer. */
export function viewerShares(fixture: Fixture): { bucketlistId: number; ownerId: number; viewerId: number }[] {
  const { users } = fixture;
  return users.flatMap((user, index) => {
    const viewer = users[(index + 1) % users.length] as { id: number };
    return fixture.bucketlists
      .filter((row) => row.ownerId === user.id)
      .slice(0, SHARED_PER_USER)
      .map((row) => ({ bucketlistId: row.id, ownerId: user.id, viewerId: viewer.id }));
  });
}

/** The requests of one scenario. */
export function scenarioRequests(name: ScenarioName, inputs: ScenarioInputs): ScriptedRequest[] {
  const { fixture, tokens } = inputs;
  const bucketlists = interleaveByOwner(fixture.bucketlists);
  switch (name) {
    case 'get-bucketlist':
      return bucketlists.map((row) => ({
        method: 'GET',
        path: `/v1/bucketlists/${row.id}`,
        token: tokenOf(tokens, row.ownerId),
      }));
    case 'list-bucketlists': {
      const pages = inputs.listPages ?? 5;
      return Array.from({ length: pages }, (_, page) =>
        fixture.users.map((user) => ({
          method: 'GET',
          path: `/v1/bucketlists?page=${page + 1}&page_size=20`,
          token: tokenOf(tokens, user.id),
        })),
      ).flat();
    }
    case 'list-items': {
      const q = encodeURIComponent(fixture.itemWord);
      return bucketlists.map((row) => ({
        method: 'GET',
        path: `/v1/bucketlists/${row.id}/items?done=false&q=${q}&page_size=20`,
        token: tokenOf(tokens, row.ownerId),
      }));
    }
    case 'get-shared-bucketlist':
      return interleaveByOwner(viewerShares(fixture)).map((share) => ({
        method: 'GET',
        path: `/v1/bucketlists/${share.bucketlistId}`,
        token: tokenOf(tokens, share.viewerId),
      }));
    case 'post-item-shared': {
      const target = sharedTarget(fixture);
      return [{ id: target.ownerId }, ...target.editors].map((user) => ({
        method: 'POST',
        path: `/v1/bucketlists/${target.bucketlistId}/items`,
        token: tokenOf(tokens, user.id),
        body: ITEM_BODY,
      }));
    }
    case 'post-item':
      return bucketlists.map((row) => ({
        method: 'POST',
        path: `/v1/bucketlists/${row.id}/items`,
        token: tokenOf(tokens, row.ownerId),
        body: ITEM_BODY,
      }));
    case 'patch-item':
      return interleaveByOwner(fixture.items).map((item) => {
        const etag = inputs.etags?.get(item.id);
        if (!etag) throw new Error(`no ETag for item ${item.id}`);
        return {
          method: 'PATCH',
          path: `/v1/bucketlists/${item.bucketlistId}/items/${item.id}`,
          token: tokenOf(tokens, item.ownerId),
          body: PATCH_BODY,
          etagKey: String(item.id),
          etag,
        };
      });
    case 'login':
      return fixture.users.map((user) => ({
        method: 'POST',
        path: '/v1/auth/login',
        body: JSON.stringify({ email: user.email, password: inputs.password }),
      }));
  }
}
