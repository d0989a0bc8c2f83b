/**
 * Query plans of every list query the API issues, on seeded data: the real repository code
 * runs against PostgreSQL with a Drizzle logger that captures each statement and its
 * parameters, and each is then run again under EXPLAIN (ANALYZE, BUFFERS). The plans go to
 * bench/plans/*.txt; the summary says which indexes they use and flags any sequential scan.
 *
 * Also the deep pages' statements (page 1 and page 500, by number and by cursor) for the bench's
 * pages section. Part of `npm run bench`; on its own: `npm run bench:explain -- --database-url URL` (a seeded database).
 * The plans are the custom plans for these parameters; after five executions PostgreSQL may
 * switch a prepared statement to a generic plan, which can differ.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The real repositories on PostgreSQL, every statement they send captured, a session of
 * `userId`'s own (reads check the caller's session in the same statement), and `explain`: runs a
 * repository call, then each statement it sent again under EXPLAIN (ANALYZE, BUFFERS), written to
 * `outDir` and summarised. `data` describes the rows, for the plan files' headers.
 */
async function openExplainer(client: postgres.Sql, userId: number, outDir: string, data: string) {
  const captured: Captured[] = [];
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (query, params) => captured.push({ query, params }) },
  });
  const repositories = createRepositories(db);
  const viewer = { userId, sessionId: randomUUID() };
  await repositories.sessions.create({
    id: viewer.sessionId,
    userId,
    expiresAt: new Date(Date.now() + 3_600_000),
    refreshTokenHash: `bench-explain-${viewer.sessionId}`,
  });
  mkdirSync(outDir, { recursive: true });
  const explain = async (name: string, run: () => Promise<unknown>): Promise<PlanSummary[]> => {
    captured.length = 0;
    await run();
    const summaries: PlanSummary[] = [];
    for (const [index, statement] of [...captured].entries()) {
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
        `-- data: ${data}`,
        '',
      ].join('\n');
      writeFileSync(join(outDir, file), `${header}${plan}\n`);
      summaries.push(readPlan(statementName, file, plan));
    }
    return summaries;
  };
  return { ...repositories, viewer, explain };
}

const dataOf = (fixture: Fixture) =>
  `${fixture.counts.users} users, ${fixture.counts.bucketlists} bucketlists, ${fixture.counts.items} items`;

/** Explains every list query shape for the first fixture user; returns one summary per statement. */
export async function explainListQueries(url: string, fixture: Fixture, outDir = PLANS_DIR): Promise<PlanSummary[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const owner = fixture.users[0]?.id as number;
    for (const file of existsSync(outDir) ? readdirSync(outDir) : []) {
      if (file.endsWith('.txt')) rmSync(join(outDir, file));
    }
    const { bucketlists, items, viewer, explain } = await openExplainer(client, owner, outDir, dataOf(fixture));
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
    const summaries: PlanSummary[] = [];
    for (const [name, run] of cases) summaries.push(...(await explain(name, run)));
    return summaries;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * The list statements of page 1 and of page `deepPage` by number (OFFSET), and of page
 * `deepPage` by cursor (the keyset of page `deepPage - 1`'s last row), for one user's
 * bucketlists, as the repository issues them.
 */
export async function explainDeepPages(
  url: string,
  page: { userId: number; pageSize: number; deepPage: number; sort: string; data: string },
  outDir = PLANS_DIR,
): Promise<PlanSummary[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const { bucketlists, viewer, explain } = await openExplainer(client, page.userId, outDir, page.data);
    const list = { scope: 'owned' as const, pageSize: page.pageSize, sort: page.sort };
    const before = await bucketlists.list(viewer, { ...list, page: page.deepPage - 1 });
    const boundary = bucketlists.boundaryOf(page.sort, before.rows.at(-1) as (typeof before.rows)[number]);
    const after = { ...boundary, direction: 'next' as const };
    return [
      ...(await explain('bucketlists page 1 by number', () => bucketlists.list(viewer, { ...list, page: 1 }))),
      ...(await explain(`bucketlists page ${page.deepPage} by number`, () =>
        bucketlists.list(viewer, { ...list, page: page.deepPage }),
      )),
      ...(await explain(`bucketlists page ${page.deepPage} by cursor`, () =>
        bucketlists.list(viewer, { ...list, page: page.deepPage, after }),
      )),
    ];
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
