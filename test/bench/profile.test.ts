import t from 'tap';
import { planFileName, readPlan } from '../../bench/lib/plans.js';
import { type CpuProfile, frameGroup, renderProfileText, summariseProfile } from '../../bench/lib/profile.js';

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
  t.equal(frameGroup('writev', ''), 'native code (no source)');
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
  });
  t.equal(readPlan('r', 'r.txt', 'Result').executionMs, null);
});

t.test('plan file names are lower-case words joined by dashes', async (t) => {
  t.equal(planFileName('Items sort created_at descending (count)'), 'items-sort-created-at-descending-count.txt');
});
