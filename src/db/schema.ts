/**
 * The tables: the single source of the database schema. Migrations under drizzle/ are generated
 * from this file by drizzle-kit and must always agree with it (checked in CI).
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { rfc3339Timestamp } from './timestamps.js';

// Millisecond precision: the API's timestamps are RFC 3339 with milliseconds. Every created_at and
// updated_at is read as that text, ready to present; the session and token times, which only the
// server compares, are Dates.
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
const nowByDefault = (name: string) => rfc3339Timestamp(name).notNull().default(sql.raw('now()'));
const createdAt = () => nowByDefault('created_at');
const updatedAt = () => nowByDefault('updated_at');

export const USER_ROLES = ['user', 'admin'] as const;
export const MEMBER_ROLES = ['viewer', 'editor'] as const;

export const users = pgTable(
  'users',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    // Stored lower-cased, so the unique constraint makes emails unique case-insensitively.
    email: varchar('email', { length: 254 }).notNull().unique(),
    name: varchar('name', { length: 100 }).notNull(),
    // Case-folded copy for the admins' search; every write sets it (the default only covers rows
    // that existed before the column, which a migration backfills).
    nameFolded: text('name_folded').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    // `admin` is granted only by the promote script, never through the API.
    role: varchar('role', { length: 16, enum: USER_ROLES }).notNull().default('user'),
    // Set while an admin has deactivated the account: it cannot log in, and its sessions are revoked.
    deactivatedAt: rfc3339Timestamp('deactivated_at'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
  },
  (table) => [check('users_role_check', sql`${table.role} in ('user', 'admin')`)],
);

/** A login session: what an access token's `sid` names and what logout revokes. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamptz('expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
  },
  (table) => [index('sessions_user_id_idx').on(table.userId)],
);

/**
 * Every refresh token a session was ever given, stored as a SHA-256 hash. A used token stays
 * here so that its reuse is recognised (and revokes the session) rather than looking unknown.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [index('refresh_tokens_session_id_idx').on(table.sessionId)],
);

export const bucketlists = pgTable(
  'bucketlists',
  {
    id: integer('id').generatedAlwaysAsIdentity(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 2000 }),
    // Case-folded copies for search: lower()/ILIKE fold only ASCII under PGlite's C locale.
    nameFolded: text('name_folded').notNull(),
    descriptionFolded: text('description_folded'),
    // The item count and version, each plus the stripes' sums when `item_count_striped` (see
    // itemCountStripes): what the API presents, and what the ETag derives from, is that total.
    itemCount: integer('item_count').notNull().default(0),
    // Bumped on every change of the representation (item_count included).
    version: integer('version').notNull().default(1),
    itemCountStriped: boolean('item_count_striped').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    // Starts with the distribution column, as Citus needs; also the owner's lists in id order.
    primaryKey({ name: 'bucketlists_pkey', columns: [table.ownerId, table.id] }),
    // Target of the composite foreign keys (items, memberships, stripes), which keep their owner_id
    // consistent, and the lookup by id alone of a member's read of a shared bucketlist.
    unique('bucketlists_id_owner_id_key').on(table.id, table.ownerId),
    index('bucketlists_owner_id_updated_at_idx').on(table.ownerId, table.updatedAt),
    // What the maintenance job folds: few rows, so a partial index.
    index('bucketlists_item_count_striped_idx')
      .on(table.id)
      .where(sql`${table.itemCountStriped}`),
  ],
);

/**
 * Item count changes of bucketlists that several transactions write at once. The item triggers
 * (drizzle/0006_item_count_stripes.sql) add to the bucketlist's own row while no one else holds
 * it; a writer that finds it held adds to its connection's stripe instead, and marks the
 * bucketlist striped, so concurrent writers into one bucketlist no longer queue on one row's lock.
 * The maintenance job folds the stripes back into the bucketlist's row.
 */
export const itemCountStripes = pgTable(
  'item_count_stripes',
  {
    ownerId: integer('owner_id').notNull(),
    bucketlistId: integer('bucketlist_id').notNull(),
    stripe: smallint('stripe').notNull(),
    // Items added less items removed through this stripe, and how many changes that took.
    items: integer('items').notNull(),
    changes: integer('changes').notNull(),
  },
  (table) => [
    primaryKey({ name: 'item_count_stripes_pkey', columns: [table.ownerId, table.bucketlistId, table.stripe] }),
    foreignKey({
      name: 'item_count_stripes_bucketlist_owner_fk',
      columns: [table.bucketlistId, table.ownerId],
      foreignColumns: [bucketlists.id, bucketlists.ownerId],
    }).onDelete('cascade'),
  ],
);

export const items = pgTable(
  'items',
  {
    id: integer('id').generatedAlwaysAsIdentity(),
    bucketlistId: integer('bucketlist_id').notNull(),
    // Denormalized owner: ownership is one indexed predicate, and rows can be sharded by owner.
    ownerId: integer('owner_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    nameFolded: text('name_folded').notNull(),
    done: boolean('done').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    // Starts with the distribution column, as Citus needs; also the owner's items (the export's join).
    primaryKey({ name: 'items_pkey', columns: [table.ownerId, table.id] }),
    foreignKey({
      name: 'items_bucketlist_owner_fk',
      columns: [table.bucketlistId, table.ownerId],
      foreignColumns: [bucketlists.id, bucketlists.ownerId],
    }).onDelete('cascade'),
    index('items_bucketlist_id_id_idx').on(table.bucketlistId, table.id),
    index('items_bucketlist_id_done_id_idx').on(table.bucketlistId, table.done, table.id),
  ],
);

/**
 * The Idempotency-Key of a POST and, once it has run, its response (status, headers, body), kept
 * for a configured time so that a retry with the same key gets the same answer. Keys belong to a
 * user: the primary key starts with the owner. A row without a status is a request still running.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: varchar('key', { length: 255 }).notNull(),
    // A keyed hash of the method, path and body: a reused key with another request is refused.
    fingerprint: text('fingerprint').notNull(),
    status: smallint('status'),
    headers: jsonb('headers').$type<Record<string, string>>(),
    body: text('body'),
    createdAt: timestamptz('created_at').notNull().default(sql.raw('now()')),
  },
  (table) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [table.ownerId, table.key] }),
    index('idempotency_keys_created_at_idx').on(table.createdAt),
  ],
);

/** What an export's records are: a bucketlist, then its items, in the API's own representations. */
export type ExportRecord =
  | {
      bucketlist: {
        id: number;
        name: string;
        description: string | null;
        item_count: number;
        created_at: string;
        updated_at: string;
      };
    }
  | {
      item: {
        id: number;
        bucketlist_id: number;
        name: string;
        done: boolean;
        created_at: string;
        updated_at: string;
      };
    };

/** The states of an export; queued and running ones are "active" (one per owner at a time). */
export const EXPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/**
 * A data export of one user's bucketlists and items, produced by a background job. Each attempt
 * of the job is a run (`run_id`); only the run that marks the export done owns its chunks, so a
 * run that was given up on (a killed worker) can never mix its rows into the result.
 */
export const exports = pgTable(
  'exports',
  {
    id: integer('id').generatedAlwaysAsIdentity(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: EXPORT_STATUSES }).notNull().default('queued'),
    runId: uuid('run_id'),
    attempts: integer('attempts').notNull().default(0),
    itemCount: integer('item_count'),
    itemsExported: integer('items_exported').notNull().default(0),
    createdAt: createdAt(),
    completedAt: rfc3339Timestamp('completed_at'),
    expiresAt: rfc3339Timestamp('expires_at').notNull(),
  },
  (table) => [
    // Starts with the distribution column, as Citus needs; also the owner's reads of an export.
    primaryKey({ name: 'exports_pkey', columns: [table.ownerId, table.id] }),
    // Target of the chunks' composite foreign key, and the job's lookup by id alone (its payload
    // names the export, not its owner).
    unique('exports_id_owner_id_key').on(table.id, table.ownerId),
    index('exports_expires_at_idx').on(table.expiresAt),
    // At most one export per owner is queued or running: the database refuses a second (409).
    uniqueIndex('exports_one_active_per_owner')
      .on(table.ownerId)
      .where(sql`status in ('queued', 'running')`),
  ],
);

/** An export's content, in order: batches of records written by one run of its job. */
export const exportChunks = pgTable(
  'export_chunks',
  {
    // The export's owner (denormalized, as items' is): the chunks live with the owner's other rows.
    ownerId: integer('owner_id').notNull(),
    exportId: integer('export_id').notNull(),
    runId: uuid('run_id').notNull(),
    seq: integer('seq').notNull(),
    records: jsonb('records').$type<ExportRecord[]>().notNull(),
  },
  (table) => [
    primaryKey({
      name: 'export_chunks_pkey',
      columns: [table.ownerId, table.exportId, table.runId, table.seq],
    }),
    foreignKey({
      name: 'export_chunks_export_owner_fk',
      columns: [table.exportId, table.ownerId],
      foreignColumns: [exports.id, exports.ownerId],
    }).onDelete('cascade'),
  ],
);

/**
 * Who else may see a bucketlist (viewer) or also change it and its items (editor). A row carries
 * the bucketlist's owner, and its keys include it, as every other row's do: the table can be
 * distributed by owner_id with the bucketlists it belongs to.
 */
export const memberships = pgTable(
  'memberships',
  {
    bucketlistId: integer('bucketlist_id').notNull(),
    ownerId: integer('owner_id').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16, enum: MEMBER_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    // Also the lookup "is this user a member of this bucketlist".
    primaryKey({ name: 'memberships_pkey', columns: [table.bucketlistId, table.userId, table.ownerId] }),
    foreignKey({
      name: 'memberships_bucketlist_owner_fk',
      columns: [table.bucketlistId, table.ownerId],
      foreignColumns: [bucketlists.id, bucketlists.ownerId],
    }).onDelete('cascade'),
    // The lookup "what is shared with me".
    index('memberships_user_id_bucketlist_id_idx').on(table.userId, table.bucketlistId),
    check('memberships_role_check', sql`${table.role} in ('viewer', 'editor')`),
    check('memberships_not_owner_check', sql`${table.userId} <> ${table.ownerId}`),
  ],
);

/** The next `updated_at`: now, but always later than the previous value, so every update moves it. */
export const nextUpdatedAt = (column: typeof bucketlists.updatedAt | typeof items.updatedAt) =>
  sql`greatest(clock_timestamp(), ${column} + interval '1 millisecond')`;
