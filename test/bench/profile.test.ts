import t, { type Test } from 'tap';
import { planFileName, readPlan } from '../../bench/lib/plans.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync, transformSync } from 'esbuild';
import {
  type CpuProfile,
  costPerRequest,
  frameGroup,
  renderCostText,
  renderProfileText,
  sourceMapResolver,
  summariseProfile,
} from '../../bench/lib/profile.js';
import type { ProfileSummary } from '../../bench/lib/report.js';

const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber },
});

// Ten 1 ms samples from t=1000 µs: 4 in a handler, 3 in pg, 2 idle, 1 in GC.
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)'),
    frame(2, 'handler', 'file:///work/main/dist/routes/v1/index.js', 9),
    frame(3, 'parse', 'file:///work/main/node_modules/postgres/src/connection.js', 99),
    frame(4, '(idle)'),
    frame(5, '(garbage collector)'),
    frame(6, '', 'file:///work/main/node_modules/postgres/src/connection.js', 99),
  ],
  startTime: 1000,
  endTime: 11_000,
  samples: [2, 2, 3, 4, 2, 3, 5, 4, 2, 3, 99],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, -5],
};

t.test('frames are grouped by package, Node internals, the app and V8 pseudo-frames', async (t) => {
  t.equal(frameGroup('(garbage collector)', ''), '(garbage collector)');
  t.equal(frameGroup('writev', ''), 'native: writev');
  t.equal(frameGroup('', ''), 'native: (anonymous)');
  t.equal(frameGroup('RegExp: ^a+$', ''), 'regular expressions');
  t.equal(frameGroup('validate1', '', 2), 'generated code (new Function)');
  t.equal(frameGroup('f', 'file:///work/main/bench/baselines/handwritten.ts'), 'bench (baselines)');
  t.equal(frameGroup('emit', 'node:events'), 'node internals');
  t.equal(frameGroup('f', 'file:///r/node_modules/fastify/lib/route.js'), 'fastify');
  t.equal(frameGroup('f', 'file:///r/node_modules/@fastify/jwt/node_modules/fast-jwt/src/verifier.js'), 'fast-jwt');
  t.equal(frameGroup('f', 'file:///r/node_modules/@pinojs/redact/index.js'), '@pinojs/redact');
  t.equal(frameGroup('f', 'file:///work/main/src/app.ts'), 'app (src/)');
  t.equal(frameGroup('f', 'file:///elsewhere/x.js'), 'other');
});

t.test('self time is summed per function and group, as a share of the busy time', async (t) => {
  const summary = summariseProfile(PROFILE, 'get.cpuprofile');
  t.equal(summary.totalMs, 8);
  t.equal(summary.idleMs, 2);
  t.same(summary.top[0], {
    functionName: 'handler',
    location: 'dist/routes/v1/index.js:10',
    selfMs: 4,
    selfShare: 0.5,
  });
  t.same(
    summary.byGroup.map((group) => [group.group, group.selfMs]),
    [
      ['app (src/)', 4],
      ['postgres', 3],
      ['(garbage collector)', 1],
    ],
  );
  t.equal(summary.top.find((entry) => entry.functionName === '(garbage collector)')?.location, '');
});

t.test('a summary knows its request count when given one, and a sample without a delta counts zero', async (t) => {
  t.equal(summariseProfile(PROFILE, 'get.cpuprofile', { requests: 5 }).requests, 5);
  t.equal(summariseProfile(PROFILE, 'get.cpuprofile').requests, undefined);
  t.equal(summariseProfile({ ...PROFILE, samples: [2, 2], timeDeltas: [1000] }, 'short').totalMs, 1);
});

t.test('a window keeps only the samples of the measured run', async (t) => {
  const summary = summariseProfile(PROFILE, 'get.cpuprofile', {
    top: 1,
    window: { startMicros: 6500, endMicros: 9500 },
  });
  // Samples at 7000, 8000 and 9000 µs: pg, GC, idle.
  t.equal(summary.totalMs, 2);
  t.equal(summary.idleMs, 1);
  t.equal(summary.top.length, 1);
});

t.test('anonymous functions are named so, and an empty profile has no shares', async (t) => {
  const anonymous = summariseProfile({ ...PROFILE, samples: [6], timeDeltas: [10] }, 'a');
  t.equal(anonymous.top[0]?.functionName, '(anonymous)');
  const empty = summariseProfile({ ...PROFILE, samples: [4], timeDeltas: [10] }, 'b');
  t.equal(empty.totalMs, 0);
  t.same(empty.top, []);
  t.same(summariseProfile({ ...PROFILE, samples: [], timeDeltas: [] }, 'c').byGroup, []);
  t.equal(summariseProfile({ ...PROFILE, samples: [2], timeDeltas: [0] }, 'd').top[0]?.selfShare, 0);
});

t.test('the text rendering lists groups and top functions', async (t) => {
  const text = renderProfileText(summariseProfile(PROFILE, 'get.cpuprofile'));
  t.match(text, 'get.cpuprofile: 0.0 s busy, 0.0 s idle');
  t.match(text, ' 50.0%  app (src/)');
  t.match(text, ' 50.0%  handler  dist/routes/v1/index.js:10');
});

/**
 * A bundle like dist/server.js, built by esbuild from an app file and three packages: one with
 * plain sources, one like drizzle-orm whose source map points above its own folder (drizzle-orm
 * is a dependency of the app, so its compiled file is found), and one whose source cannot be
 * found at all. Returns the bundle's URL and the 0-based position of a marker string in it.
 */
function buildBundle(t: Test) {
  const root = mkdtempSync(join(tmpdir(), 'profile-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  // A compiled package file with its own source map, whose `sources` entry is `source`.
  const compiled = (path: string, source: string, marker: string) => {
    const out = transformSync(`export function ${marker}(): string { return '${marker}'; }`, {
      loader: 'ts',
      sourcemap: 'external',
      sourcefile: source,
    });
    const name = path.split('/').at(-1) as string;
    write(path, `${out.code}//# sourceMappingURL=${name}.map\n`);
    write(`${path}.map`, out.map);
  };
  write('node_modules/plain/index.js', "export function plainMarker() { return 'plainMarker'; }\n");
  compiled('node_modules/drizzle-orm/pg-core/table.js', '../../src/pg-core/table.ts', 'tableMarker');
  compiled('node_modules/lost/index.js', '../src/nowhere.ts', 'lostMarker');
  compiled('node_modules/gone/index.js', '../../../gone.ts', 'goneMarker');
  write(
    'src/main.js',
    "import { plainMarker } from 'plain';\nimport { tableMarker } from 'drizzle-orm/pg-core/table.js';\n" +
      "import { lostMarker } from 'lost';\nimport { goneMarker } from 'gone';\n" +
      "export const all = () => [plainMarker(), tableMarker(), lostMarker(), goneMarker(), 'mainMarker'];\n",
  );
  buildSync({
    entryPoints: [join(root, 'src/main.js')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    sourcemap: true,
    outfile: join(root, 'dist/main.js'),
    logLevel: 'silent',
  });
  const bundle = readFileSync(join(root, 'dist/main.js'), 'utf8').split('\n');
  const positionOf = (marker: string) => {
    // esbuild writes string literals in double quotes.
    const line = bundle.findIndex((text) => text.includes(`"${marker}"`));
    return { line, column: bundle[line]?.indexOf(`"${marker}"`) ?? 0 };
  };
  return { root, url: pathToFileURL(join(root, 'dist/main.js')).href, positionOf };
}

t.test('bundled frames are traced through source maps to the package or app file they came from', async (t) => {
  const { root, url, positionOf } = buildBundle(t);
  const resolveSource = sourceMapResolver();
  const traced = (marker: string) => {
    const { line, column } = positionOf(marker);
    return resolveSource(url, line, column);
  };
  t.equal(traced('plainMarker')?.url, pathToFileURL(join(root, 'node_modules/plain/index.js')).href);
  t.equal(traced('plainMarker')?.line, 0);
  t.equal(traced('mainMarker')?.url, pathToFileURL(join(root, 'src/main.js')).href);
  t.equal(
    traced('tableMarker')?.url,
    pathToFileURL(join(root, 'node_modules/drizzle-orm/pg-core/table.js')).href,
    "a map that points above its package is the dependency's compiled file",
  );
  t.equal(
    traced('lostMarker')?.url,
    pathToFileURL(join(root, 'node_modules/src/nowhere.ts')).href,
    'a source found nowhere keeps its traced path',
  );
  t.equal(traced('goneMarker')?.url, pathToFileURL(join(root, '../gone.ts')).href, 'so does one outside any package');
  t.equal(resolveSource('node:events', 1, 1), undefined, 'Node internals have no map');
  t.equal(resolveSource(pathToFileURL(join(root, 'src/main.js')).href, 0, 0), undefined, 'a file without a map');
  t.equal(resolveSource(url, 10_000, 0), undefined, 'a position the map does not cover');

  const { line, column } = positionOf('tableMarker');
  const summary = summariseProfile(
    {
      nodes: [{ id: 1, callFrame: { functionName: 'tableMarker', url, lineNumber: line, columnNumber: column } }],
      startTime: 0,
      endTime: 1000,
      samples: [1],
      timeDeltas: [1000],
    },
    'bundle.cpuprofile',
    { resolveSource },
  );
  t.same(
    summary.byGroup.map((group) => group.group),
    ['drizzle-orm'],
  );
  t.same(
    summariseProfile(PROFILE, 'unmapped.cpuprofile', { resolveSource }).byGroup.map((group) => group.group),
    ['app (src/)', 'postgres', '(garbage collector)'],
    'frames without a column or a map keep their own location',
  );
  t.equal(summary.top[0]?.location, 'node_modules/drizzle-orm/pg-core/table.js:1');
});

const summaryOf = (requests: number | undefined, byGroup: [string, number][]): ProfileSummary => ({
  file: 'x.cpuprofile',
  totalMs: byGroup.reduce((total, [, ms]) => total + ms, 0),
  idleMs: 0,
  top: [],
  byGroup: byGroup.map(([group, selfMs]) => ({ group, selfMs, selfShare: 0 })),
  ...(requests ? { requests } : {}),
});

t.test('two profiles compare per request, largest extra cost of the API first', async (t) => {
  const api = summaryOf(1000, [
    ['native: writev', 20],
    ['pino', 6],
    ['fastify', 5],
    ['tiny', 0.01],
  ]);
  const baseline = summaryOf(2000, [
    ['native: writev', 30],
    ['fastify', 10],
    ['bench (baselines)', 2],
  ]);
  const costs = costPerRequest(api, baseline);
  t.same(costs?.groups, [
    { group: 'pino', apiMicros: 6, baselineMicros: 0 },
    { group: 'native: writev', apiMicros: 20, baselineMicros: 15 },
    { group: 'fastify', apiMicros: 5, baselineMicros: 5 },
    { group: 'bench (baselines)', apiMicros: 0, baselineMicros: 1 },
  ]);
  t.same(costs?.total, { group: 'all', apiMicros: 31.01, baselineMicros: 21 });
  const text = renderCostText(costs as NonNullable<typeof costs>);
  t.match(text, /pino +6\.0 +0\.0 +6\.0/);
  t.match(text, /all +31\.0 +21\.0 +10\.0/);
  t.notMatch(text, 'tiny');
  t.equal(costPerRequest(summaryOf(undefined, []), baseline), undefined, 'no request count, no comparison');
  t.equal(costPerRequest(api, summaryOf(undefined, [])), undefined);
});

const PLAN = `Limit  (cost=17.91..17.92 rows=1 width=589) (actual time=1.404..1.407 rows=5 loops=1)
  ->  Index Scan Backward using bucketlists_owner_id_id_idx on bucketlists  (cost=0.29..8.30 rows=1 width=8)
  ->  Index Only Scan using items_pkey on items
  ->  Bitmap Index Scan on items_bucketlist_id_done_id_idx  (cost=0.00..8.78 rows=37 width=0)
  ->  Seq Scan on sessions  (cost=0.00..1.01 rows=1 width=8)
  ->  Index Scan using bucketlists_owner_id_id_idx on bucketlists b2
Planning Time: 0.074 ms
Execution Time: 1.453 ms`;

t.test('a plan tells which indexes it used, what it scanned whole, and how long it took', async (t) => {
  t.same(readPlan('q', 'q.txt', PLAN), {
    name: 'q',
    file: 'q.txt',
    indexes: ['bucketlists_owner_id_id_idx', 'items_pkey', 'items_bucketlist_id_done_id_idx'],
    seqScans: ['sessions'],
    executionMs: 1.453,
    buffers: null,
  });
  t.equal(readPlan('r', 'r.txt', 'Result').executionMs, null);
});

t.test("a plan's buffers are its root node's shared hits and reads, not the planning's", async (t) => {
  const plan = `Limit  (cost=0.29..1.10 rows=20 width=8) (actual time=0.020..0.031 rows=20 loops=1)
  Buffers: shared hit=170 read=12
  ->  Index Scan Backward using bucketlists_owner_id_id_idx on bucketlists
        Buffers: shared hit=168 read=12
Planning:
  Buffers: shared hit=4
Planning Time: 0.074 ms
Execution Time: 2.900 ms`;
  t.equal(readPlan('q', 'q.txt', plan).buffers, 182);
  t.equal(readPlan('q', 'q.txt', 'Result\nPlanning:\n  Buffers: shared hit=4\nExecution Time: 0.01 ms').buffers, null);
});

t.test('plan file names are lower-case words joined by dashes', async (t) => {
  t.equal(planFileName('Items sort created_at descending (count)'), 'items-sort-created-at-descending-count.txt');
});
