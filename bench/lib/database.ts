/**
 * The bench's own databases: a fresh PostgreSQL database per run (dropped at the end) or a
 * temporary PGlite folder, and the read-only look at the seeded rows that the scenarios need
 * (which users, which ids). The API itself is only ever driven over HTTP.
 */
import postgres from 'postgres';
import { startPGlite } from '../../src/db/embedded.js';
import { commonWord } from './scenarios.js';

/** Just enough of a client to read rows, over either database. */
export interface Rows {
  query<T>(text: string): Promise<T[]>;
  close(): Promise<void>;
}

export function openPostgresRows(url: string): Rows {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    query: async <T>(text: string) => (await sql.unsafe(text)) as unknown as T[],
    close: () => sql.end({ timeout: 5 }),
  };
}

export async function openEmbeddedRows(dataDir: string): Promise<Rows> {
  const client = await startPGlite(dataDir);
  return {
    query: async <T>(text: string) => (await client.query<T>(text)).rows,
    close: () => client.close(),
  };
}

/** The URL of another database on the same server as `adminUrl`. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

const SAFE_NAME = /^[a-z0-9_]+$/;

async function admin(adminUrl: string, statement: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe database name ${name}`);
  await admin(adminUrl, `create database "${name}"`);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe database name ${name}`);
  await admin(adminUrl, `drop database if exists "${name}" with (force)`);
}

export interface Fixture {
  users: { id: number; email: string }[];
  bucketlists: { id: number; ownerId: number }[];
  /** The first item of each of those bucketlists. */
  items: { id: number; bucketlistId: number; ownerId: number }[];
  /** A word that occurs in many item names, for `q`. */
  itemWord: string;
  counts: { users: number; bucketlists: number; items: number };
}

/** The first `userCount` seeded users, their bucketlists and the first item of each. */
export async function loadFixture(rows: Rows, userCount: number): Promise<Fixture> {
  const limit = Math.trunc(userCount);
  const chosen = `(select id from users order by id limit ${limit})`;
  const users = await rows.query<{ id: number; email: string }>(
    `select id, email from users order by id limit ${limit}`,
  );
  const bucketlists = await rows.query<{ id: number; owner_id: number }>(
    `select id, owner_id from bucketlists where owner_id in ${chosen} order by id`,
  );
  const items = await rows.query<{ id: number; bucketlist_id: number; owner_id: number }>(
    `select distinct on (bucketlist_id) id, bucketlist_id, owner_id from items
      where owner_id in ${chosen} order by bucketlist_id, id`,
  );
  const names = await rows.query<{ name: string }>(`select name from items where owner_id in ${chosen} limit 2000`);
  const [counts] = await rows.query<{ users: number; bucketlists: number; items: number }>(
    `select (select count(*)::int from users) as users, (select count(*)::int from bucketlists) as bucketlists,
            (select count(*)::int from items) as items`,
  );
  if (users.length === 0 || bucketlists.length === 0 || items.length === 0) {
    throw new Error('the database holds no seeded users, bucketlists or items');
  }
  return {
    users,
    bucketlists: bucketlists.map((row) => ({ id: row.id, ownerId: row.owner_id })),
    items: items.map((row) => ({ id: row.id, bucketlistId: row.bucketlist_id, ownerId: row.owner_id })),
    itemWord: commonWord(names.map((row) => row.name)),
    counts: counts as { users: number; bucketlists: number; items: number },
  };
}
