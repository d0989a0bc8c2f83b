/**
 * The deep pages section of the bench: a user of its own with 10,020 bucketlists in the bench's
 * database, and the four list requests it measures: page 1 and page 500 by number (OFFSET) and
 * by cursor (keyset; page 500's cursor found by following the `next` links from the first).
 */
import { randomBytes } from 'node:crypto';
import { fetchPage, logInAs, register } from './api.js';
import { openPostgresRows } from './database.js';

export const PAGE_SIZE = 20;
export const DEEP_PAGE = 500;
/** Page DEEP_PAGE full, and one page more. */
export const DEEP_ROWS = PAGE_SIZE * DEEP_PAGE + PAGE_SIZE;
export const PAGES_SORT = '-id';

export interface DeepUser {
  id: number;
  token: string;
}

/**
 * Signs the user up through the API, inserts its bucketlists with one statement (10,020 POSTs
 * would take longer than the measurement), then VACUUM ANALYZE, as after the seed.
 */
export async function addDeepUser(baseUrl: string, databaseUrl: string): Promise<DeepUser> {
  const email = `bench-deep-pages-${randomBytes(4).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('base64url');
  const id = await register(baseUrl, { email, password, name: 'Deep pages' });
  const rows = openPostgresRows(databaseUrl);
  try {
    await rows.query(
      `insert into bucketlists (owner_id, name, name_folded)
       select ${Math.trunc(id)}, 'List ' || n, 'list ' || n from generate_series(1, ${DEEP_ROWS}) n`,
    );
    await rows.query('vacuum analyze bucketlists');
  } finally {
    await rows.close();
  }
  return { id, token: await logInAs(baseUrl, email, password) };
}

/** Deletes the user and (by cascade) its bucketlists and sessions: the later sections read the seeded rows only. */
export async function removeDeepUser(databaseUrl: string, user: DeepUser): Promise<void> {
  const rows = openPostgresRows(databaseUrl);
  try {
    await rows.query(`delete from users where id = ${Math.trunc(user.id)}`);
    await rows.query('vacuum analyze');
  } finally {
    await rows.close();
  }
}

export interface PageCase {
  name: string;
  label: string;
  path: string;
}

/** Page 1 and page DEEP_PAGE, by number and by cursor; each checked to be a full page. */
export async function pageCases(baseUrl: string, user: DeepUser) {
  const list = `/v1/bucketlists?page_size=${PAGE_SIZE}&sort=${encodeURIComponent(PAGES_SORT)}`;
  let deepCursor = `${list}&cursor=`;
  for (let page = 1; page < DEEP_PAGE; page++) {
    const { next } = await fetchPage(baseUrl, deepCursor, user.token);
    if (!next) throw new Error(`page ${page} by cursor has no next link`);
    deepCursor = next;
  }
  const cases = {
    byNumber: [
      { name: 'page-1-by-number', label: 'page 1 by number', path: `${list}&page=1` },
      {
        name: `page-${DEEP_PAGE}-by-number`,
        label: `page ${DEEP_PAGE} by number (OFFSET ${(DEEP_PAGE - 1) * PAGE_SIZE})`,
        path: `${list}&page=${DEEP_PAGE}`,
      },
    ],
    byCursor: [
      { name: 'page-1-by-cursor', label: 'page 1 by cursor', path: `${list}&cursor=` },
      { name: `page-${DEEP_PAGE}-by-cursor`, label: `page ${DEEP_PAGE} by cursor (keyset)`, path: deepCursor },
    ],
  } satisfies Record<string, [PageCase, PageCase]>;
  for (const entry of [...cases.byNumber, ...cases.byCursor]) {
    const { items } = await fetchPage(baseUrl, entry.path, user.token);
    if (items.length !== PAGE_SIZE) throw new Error(`${entry.label}: ${items.length} rows, not ${PAGE_SIZE}`);
  }
  return cases;
}
