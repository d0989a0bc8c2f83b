/**
 * Query plans of every list query the API issues, on seeded data: the real repository code
 * runs against PostgreSQL with a Drizzle logger that captures each statement and its
 * parameters, and each is then run again under EXPLAIN (ANALYZE, BUFFERS). The plans go to
 * bench/plans/*.txt; the summary says which indexes they use and flags any sequential scan.
 *
 * Part of `npm run bench`; on its own: `npm run bench:explain -- --database-url URL` (a seeded database).
 * The plans are the custom plans for these parameters; after five executions PostgreSQL may
 * switch a prepared statement to a generic plan, which can differ.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../src/db/schema.js';
import { createRepositories } from '../src/repositories/index.js';
import { type Fixture, loadFixture, openPostgresRows } from './lib/database.js';
import { planFileName, readPlan } from './lib/plans.js';
import type { PlanSummary } from './lib/report.js';
import { commonWord } from './lib/scenarios.js';

export const PLANS_DIR = fileURLToPath(new URL('./plans/', import.meta.url));

const BUCKETLIST_SORTS = ['id', 'name', 'created_at', 'updated_at'];
const ITEM_SORTS = [...BUCKETLIST_SORTS, 'done'];
const bothDirections = (fields: string[]) => fields.flatMap((field) => [field, `-${field}`]);
const sortName = (sort: string) => (sort.startsWith('-') ? `${sort.slice(1)} descending` : `${sort} ascending`);

interface Captured {
  query: string;
  params: unknown[];
}

/** Explains every list query shape for the first fixture user; returns one summary per statement. */
export async function explainListQueries(url: string, fixture: Fixture, outDir = PLANS_DIR): Promise<PlanSummary[]> {
  const captured: Captured[] = [];
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle(client, {
      schema,
      logger: { logQuery: (query, params) => captured.push({ query, params }) },
    });
    const { bucketlists, items, sessions } = createRepositories(db);
    const owner = fixture.users[0]?.id as number;
    // Reads check the caller's session in the same statement: give the owner an active one.
    const viewer = { userId: owner, sessionId: randomUUID() };
    await sessions.create({
      id: viewer.sessionId,
      userId: owner,
      expiresAt: new Date(Date.now() + 3_600_000),
      refreshTokenHash: `bench-explain-${viewer.sessionId}`,
    });
    const bucketlistId = fixture.bucketlists.find((row) => row.ownerId === owner)?.id as number;
    const names = await client<{ name: string }[]>`select name from bucketlists where owner_id = ${owner} limit 500`;
    const bucketlistWord = commonWord(names.map((row) => row.name));
    const scope = { userId: owner, bucketlistId, sessionId: viewer.sessionId };
    const page = { scope: 'owned' as const, page: 1, pageSize: 20 };

    const cases: [string, () => Promise<unknown>][] = [
      ['bucketlists page with total', () => bucketlists.list(viewer, { ...page, sort: '-id' })],
      ['bucketlists search', () => bucketlists.list(viewer, { ...page, sort: '-id', q: bucketlistWord })],
      [
        'bucketlists page past the end',
        () => bucketlists.list(viewer, { scope: 'owned', page: 10_000, pageSize: 20, sort: '-id' }),
      ],
      ...bothDirections(BUCKETLIST_SORTS).map(
        (sort) =>
          [`bucketlists sort ${sortName(sort)}`, () => bucketlists.list(viewer, { ...page, sort })] as [
            string,
            () => Promise<unknown>,
          ],
      ),
      ['items page with total', () => items.list(scope, { ...page, sort: '-id' })],
      ['items done and q', () => items.list(scope, { ...page, sort: '-id', done: false, q: fixture.itemWord })],
      ['items done', () => items.list(scope, { ...page, sort: '-id', done: true })],
      ['items q', () => items.list(scope, { ...page, sort: '-id', q: fixture.itemWord })],
      ['items page past the end', () => items.list(scope, { page: 10_000, pageSize: 20, sort: '-id' })],
      ...bothDirections(ITEM_SORTS).map(
        (sort) =>
          [`items sort ${sortName(sort)}`, () => items.list(scope, { ...page, sort })] as [
            string,
            () => Promise<unknown>,
          ],
      ),
    ];

    mkdirSync(outDir, { recursive: true });
    for (const file of readdirSync(outDir)) if (file.endsWith('.txt')) rmSync(join(outDir, file));
    const summaries: PlanSummary[] = [];
    for (const [name, run] of cases) {
      captured.length = 0;
      await run();
      const statements = [...captured];
      for (const [index, statement] of statements.entries()) {
        const statementName = index === 0 ? name : `${name} (count)`;
        const rows = await client.unsafe(
          `explain (analyze, buffers, format text) ${statement.query}`,
          statement.params as postgres.ParameterOrJSON<never>[],
        );
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        const file = planFileName(statementName);
        const header = [
          `-- ${statementName}`,
          `-- ${statement.query}`,
          `-- parameters: ${JSON.stringify(statement.params)}`,
          `-- data: ${fixture.counts.users} users, ${fixture.counts.bucketlists} bucketlists, ${fixture.counts.items} items`,
          '',
        ].join('\n');
        writeFileSync(join(outDir, file), `${header}${plan}\n`);
        summaries.push(readPlan(statementName, file, plan));
      }
    }
    return summaries;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** One line per plan: the indexes it uses, or a warning when it scans a table whole. */
export function describePlans(plans: PlanSummary[]): string {
  return plans
    .map((plan) => {
      const verdict = plan.seqScans.length > 0 ? `SEQ SCAN on ${plan.seqScans.join(', ')}` : 'no seq scan';
      return `${plan.name.padEnd(40)} ${verdict.padEnd(22)} ${plan.indexes.join(', ') || '(no index)'}  ${plan.executionMs ?? '?'} ms`;
    })
    .join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: { 'database-url': { type: 'string' }, out: { type: 'string' } },
  });
  const url = values['database-url'];
  if (!url) {
    console.error('usage: npm run bench:explain -- --database-url postgres://… [--out folder]  (a seeded database)');
    process.exit(2);
  }
  const rows = openPostgresRows(url);
  const fixture = await loadFixture(rows, 1).finally(() => rows.close());
  const plans = await explainListQueries(url, fixture, values.out ?? PLANS_DIR);
  console.log(describePlans(plans));
  if (plans.some((plan) => plan.seqScans.length > 0)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
