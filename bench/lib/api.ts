/**
 * The few API calls the bench makes itself: signing up and logging the bench users in, reading
 * ETags, sharing, walking a list's pages by cursor.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fixture } from './database.js';
import { sharedTarget, viewerShares } from './scenarios.js';

/**
 * fetch, retried while the server sheds load (503) or rate-limits (429): a process that has
 * just started, or just ended a load run, may still count itself as overloaded for a moment.
 */
async function fetchPatiently(url: URL, init: RequestInit, attempts = 40): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    if ((response.status !== 503 && response.status !== 429) || attempt >= attempts) return response;
    await response.arrayBuffer();
    await sleep(250);
  }
}

/** Runs `task` over `inputs` with at most `limit` at a time. */
export async function mapLimit<T, R>(inputs: T[], limit: number, task: (input: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return results;
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/** POSTs a JSON body as the API's clients do and returns the answer's body; anything but 2xx throws. */
async function postJson<T>(baseUrl: string, path: string, body: object, what: string): Promise<T> {
  const response = await fetchPatiently(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return (await (await expectOk(response, what)).json()) as T;
}

/** An access token of one user. */
export async function logInAs(baseUrl: string, email: string, password: string): Promise<string> {
  const body = await postJson<{ access_token: string }>(
    baseUrl,
    '/v1/auth/login',
    { email, password },
    `login ${email}`,
  );
  return body.access_token;
}

/** Signs a new user up through the API; resolves with the user's id. */
export async function register(baseUrl: string, user: { email: string; password: string; name: string }) {
  return (await postJson<{ id: number }>(baseUrl, '/v1/auth/register', user, `register ${user.email}`)).id;
}

/** An access token for each fixture user, by user id. */
export async function logIn(baseUrl: string, fixture: Fixture, password: string): Promise<Map<number, string>> {
  const tokens = await mapLimit(
    fixture.users,
    4,
    async (user) => [user.id, await logInAs(baseUrl, user.email, password)] as const,
  );
  return new Map(tokens);
}

/** The current ETag of each fixture item (a PATCH run needs them fresh: every PATCH moves them). */
export async function itemEtags(baseUrl: string, fixture: Fixture, tokens: Map<number, string>) {
  const tags = await mapLimit(fixture.items, 16, async (item) => {
    const response = await fetchPatiently(new URL(`/v1/bucketlists/${item.bucketlistId}/items/${item.id}`, baseUrl), {
      headers: { authorization: `Bearer ${tokens.get(item.ownerId)}`, accept: 'application/json' },
    });
    await (await expectOk(response, `GET item ${item.id}`)).arrayBuffer();
    const etag = response.headers.get('etag');
    if (!etag) throw new Error(`item ${item.id} came without an ETag`);
    return [item.id, etag] as const;
  });
  return new Map(tags);
}

/**
 * The memberships the shared scenarios need, made through the API by the owners: the first user's
 * first bucketlist shared with every other bench user as editor, and some of each user's
 * bucketlists with the next user as viewer. Idempotent: an existing membership answers 409.
 */
export async function shareForBench(baseUrl: string, fixture: Fixture, tokens: Map<number, string>) {
  const emails = new Map(fixture.users.map((user) => [user.id, user.email]));
  const target = sharedTarget(fixture);
  const shares = [
    ...target.editors.map((editor) => ({
      bucketlistId: target.bucketlistId,
      ownerId: target.ownerId,
      memberId: editor.id,
      role: 'editor',
    })),
    ...viewerShares(fixture).map((share) => ({ ...share, memberId: share.viewerId, role: 'viewer' })),
  ];
  await mapLimit(shares, 8, async (share) => {
    const response = await fetchPatiently(new URL(`/v1/bucketlists/${share.bucketlistId}/members`, baseUrl), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.get(share.ownerId)}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ email: emails.get(share.memberId), role: share.role }),
    });
    if (response.status !== 409) await expectOk(response, `share bucketlist ${share.bucketlistId}`);
    else await response.arrayBuffer();
  });
}

/** One list page as its owner reads it: its rows, and the path its Link header gives as `next`. */
export async function fetchPage(baseUrl: string, path: string, token: string) {
  const response = await fetchPatiently(new URL(path, baseUrl), {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const body = (await (await expectOk(response, `GET ${path}`)).json()) as { items: unknown[] };
  const next = /<([^>]*)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  return { items: body.items, next };
}
