import t from 'tap';
import type { LoadMeasurement } from '../../bench/lib/load-output.js';
import {
  type BenchReport,
  evaluateGoals,
  fleetSummary,
  HANDWRITTEN,
  HELLO,
  median,
  pagingSummary,
  peersIn,
  type ProfileSummary,
  type RoundMeasurement,
  renderMarkdown,
  renderRatioSvg,
  type ScenarioSummary,
  summariseScenario,
  type Target,
  withRatios,
} from '../../bench/lib/report.js';

const round = (okRps: number, overrides: Partial<LoadMeasurement & { maxRssMb: number }> = {}): RoundMeasurement => ({
  requests: okRps * 10,
  durationSeconds: 10,
  requestsPerSecond: okRps,
  okRequestsPerSecond: okRps,
  latencyP50Ms: 2,
  latencyP99Ms: 10,
  errors: { connect: 0, read: 0, write: 0, timeout: 0 },
  non2xx: 0,
  maxRssMb: 100,
  ...overrides,
});

const scenario = (target: Target, name: string, okRps: number, overrides: Partial<RoundMeasurement> = {}) =>
  summariseScenario(target, name, `label of ${name}`, [round(okRps, overrides)]);

/** A run where every goal is measured; `tweak` changes numbers to fail some. */
function fullRun(tweak: { single?: number; p99?: number; rss?: number; non2xx?: number } = {}) {
  const scenarios = withRatios([
    scenario('postgres', 'get-bucketlist', tweak.single ?? 9500, {
      latencyP99Ms: tweak.p99 ?? 12,
      non2xx: tweak.non2xx ?? 0,
      maxRssMb: tweak.rss ?? 120,
    }),
    scenario('postgres', 'list-bucketlists', 6000),
    scenario('postgres', 'post-item', 5000),
    scenario('embedded', 'get-bucketlist', 5000, { maxRssMb: 480 }),
    scenario('baseline', HELLO, 30_000),
    scenario('baseline', HANDWRITTEN, 10_000),
  ]);
  const coldStarts = [
    { target: 'postgres' as const, roundsMs: [500, 700, 600], medianMs: 600 },
    { target: 'embedded' as const, roundsMs: [1500], medianMs: 1500 },
  ];
  return { scenarios, coldStarts };
}

t.test('the median of an odd and of an even count, and of nothing', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.ok(Number.isNaN(median([])));
});

t.test('a scenario is summarised by its medians, peak RSS and failure share', async (t) => {
  const summary = summariseScenario('postgres', 'patch-item', 'PATCH', [
    round(100, {
      requests: 1000,
      non2xx: 10,
      latencyP50Ms: 1,
      latencyP99Ms: 30,
      maxRssMb: 90,
      statuses: { '200': 990, '412': 10 },
    }),
    round(300, { requests: 3000, latencyP50Ms: 3, latencyP99Ms: 10, maxRssMb: 140, statuses: { '200': 3000 } }),
    round(200, { requests: 2000, errors: { connect: 0, read: 0, write: 0, timeout: 10 }, maxRssMb: 110 }),
  ]);
  t.equal(summary.requestsPerSecond, 200);
  t.equal(summary.responsesPerSecond, 200);
  t.equal(summary.latencyP50Ms, 2);
  t.equal(summary.latencyP99Ms, 10);
  t.equal(summary.maxRssMb, 140);
  t.equal(summary.failureShare, 20 / 6000);
  t.same(summary.statusShares, { '200': 3990 / 4000, '412': 10 / 4000 });
});

t.test('a scenario without requests has no failure share and no status shares', async (t) => {
  const summary = summariseScenario('postgres', 'login', 'login', [round(0, { requests: 0 })]);
  t.equal(summary.failureShare, 0);
  t.notOk('statusShares' in summary);
});

t.test('ratios divide successful req/s by each baseline, and baselines get none', async (t) => {
  const { scenarios } = fullRun();
  const single = scenarios.find((entry) => entry.scenario === 'get-bucketlist' && entry.target === 'postgres');
  t.equal(single?.ratioToHello, 9500 / 30_000);
  t.equal(single?.ratioToHandwritten, 0.95);
  const hello = scenarios.find((entry) => entry.scenario === HELLO);
  t.notOk(hello && 'ratioToHello' in hello);
});

t.test('without baselines there are no ratios', async (t) => {
  const [only] = withRatios([scenario('postgres', 'get-bucketlist', 100)]);
  t.notOk(only && ('ratioToHello' in only || 'ratioToHandwritten' in only));
});

t.test('every goal is met by a run that meets them', async (t) => {
  const goals = evaluateGoals(fullRun());
  t.equal(goals.length, 8);
  t.same(
    goals.filter((goal) => goal.met !== true).map((goal) => goal.name),
    [],
  );
  t.match(goals[0]?.actual, '0.95× (9500 / 10000 req/s)');
});

t.test('a ratio goal quotes the same ratio between the hand-written baselines when both ran', async (t) => {
  const { scenarios, coldStarts } = fullRun();
  const withBounds = [
    ...scenarios,
    scenario('baseline', 'handwritten-list-bucketlists', 5000),
    scenario('baseline', 'handwritten-post-item', 3000),
  ];
  const goals = evaluateGoals({ scenarios: withBounds, coldStarts });
  const actual = (name: string) => goals.find((goal) => goal.name === name)?.actual;
  t.equal(actual('list page (20, with total) vs single GET'), '0.63× (6000 / 9500 req/s); hand-written: 0.50×');
  t.equal(actual('POST item vs single GET'), '0.53× (5000 / 9500 req/s); hand-written: 0.30×');
  t.equal(
    actual('embedded single GET vs PostgreSQL single GET'),
    '0.53× (5000 / 9500 req/s)',
    'no PGlite baseline ran',
  );
  const markdown = renderMarkdown({ ...report(), goals });
  t.match(markdown, '"hand-written:" is the same ratio between the hand-written baselines');
  t.notMatch(renderMarkdown(report()), '"hand-written:"', 'no explanation without such a ratio');
});

t.test('slow, failing or heavy runs miss their goals', async (t) => {
  const goals = evaluateGoals(fullRun({ single: 8000, p99: 20, rss: 200 }));
  const missed = goals.filter((goal) => goal.met === false).map((goal) => goal.name);
  t.ok(missed.includes('GET /v1/bucketlists/:id vs hand-written baseline'));
  t.ok(missed.includes('GET /v1/bucketlists/:id p99'));
  t.ok(missed.includes('RSS under load (PostgreSQL, all scenarios)'));
});

t.test('a fast p99 over mostly failed requests still misses the goal', async (t) => {
  const goals = evaluateGoals(fullRun({ non2xx: 50_000 }));
  const p99 = goals.find((goal) => goal.name === 'GET /v1/bucketlists/:id p99');
  t.equal(p99?.met, false);
  t.match(p99?.actual, /of responses failed/);
});

t.test('goals the run did not measure are neither met nor missed', async (t) => {
  const goals = evaluateGoals({ scenarios: [], coldStarts: [] });
  t.ok(goals.every((goal) => goal.met === null && goal.actual === 'not measured'));
});

function report(overrides: Partial<BenchReport> = {}): BenchReport {
  const { scenarios, coldStarts } = fullRun();
  return {
    startedAt: '2026-11-22T00:00:00.000Z',
    command: 'npm run bench',
    setup: { machine: 'test CPU, 2 cores', rounds: 3 },
    notes: ['a note'],
    scenarios,
    coldStarts,
    goals: evaluateGoals({ scenarios, coldStarts }),
    plans: [
      {
        name: 'items | done',
        file: 'items-done.txt',
        indexes: ['items_idx'],
        seqScans: [],
        executionMs: 0.2,
        buffers: 15,
      },
      { name: 'bad', file: 'bad.txt', indexes: [], seqScans: ['items'], executionMs: null, buffers: null },
    ],
    profile: {
      file: 'bench/results/x/get.cpuprofile',
      totalMs: 1000,
      idleMs: 50,
      top: [{ functionName: 'handler', location: 'dist/app.js:1', selfMs: 100, selfShare: 0.1 }],
      byGroup: [
        { group: 'fastify', selfMs: 300, selfShare: 0.3 },
        { group: 'tiny', selfMs: 0.1, selfShare: 0.0001 },
      ],
    },
    ...overrides,
  };
}

t.test('the Markdown report has the results table, cold starts, goals, plans and profile', async (t) => {
  const markdown = renderMarkdown(report());
  t.match(markdown, '# Bucketlist API bench — 2026-11-22T00:00:00.000Z');
  t.match(markdown, '- machine: test CPU, 2 cores');
  t.match(markdown, '- a note');
  t.match(
    markdown,
    '| postgres | label of get-bucketlist | 9500 | 9500 | 2.00 | 12.00 | 120.0 | all 2xx/3xx | 0.317 | 0.950 |',
  );
  t.match(
    markdown,
    '| baseline | label of hello-world | 30000 | 30000 | 2.00 | 10.00 | 100.0 | all 2xx/3xx | n/a | n/a |',
  );
  t.match(markdown, '- postgres label of get-bucketlist: 9500');
  t.match(markdown, '| postgres | 600 | 500, 700, 600 |');
  t.match(markdown, '| cold start to first /healthz 200 (embedded, migrated folder) | ≤ 2 s | 1.500 s | yes |');
  t.match(markdown, '| items \\| done | items_idx | — | 15 | 0.200 |');
  t.match(markdown, '| bad | — | items | n/a | n/a |');
  t.match(markdown, '| 30.0% | 300 | fastify |');
  t.notMatch(markdown, 'tiny');
  t.match(markdown, '| 10.0% | 100 | handler | dist/app.js:1 |');
  t.notMatch(markdown, '### Per request', 'no baseline profile, no comparison');
});

t.test('with the baseline profiled too, the report compares the two per request', async (t) => {
  const base = report();
  const markdown = renderMarkdown(
    report({
      profile: { ...(base.profile as ProfileSummary), requests: 1000 },
      baselineProfile: {
        file: 'bench/results/x/handwritten.cpuprofile',
        totalMs: 500,
        idleMs: 0,
        top: [],
        byGroup: [{ group: 'fastify', selfMs: 100, selfShare: 0.2 }],
        requests: 2000,
      },
    }),
  );
  t.match(markdown, '### Per request, against the hand-written baseline under the same load');
  t.match(markdown, '(1000 requests)');
  t.match(markdown, '(`bench/results/x/handwritten.cpuprofile`, 2000 requests)');
  t.match(markdown, '| fastify | 300.0 | 50.0 | 250.0 |');
  t.match(markdown, '| all | 1000.0 | 250.0 | 750.0 |');
});

t.test('the Markdown report shows status shares, failures, missed and unmeasured goals', async (t) => {
  const shares = summariseScenario('postgres', 'patch-item', 'PATCH', [
    round(10, { requests: 2000, non2xx: 2, statuses: { '200': 1998, '412': 1, '503': 1 } }),
  ]);
  const failing = summariseScenario('postgres', 'login', 'login', [round(10, { requests: 1000, non2xx: 500 })]);
  const markdown = renderMarkdown(
    report({
      scenarios: [shares, failing],
      coldStarts: [],
      plans: [],
      goals: evaluateGoals({ scenarios: [failing], coldStarts: [] }).concat({
        name: 'missed',
        wanted: 'x',
        actual: 'y',
        met: false,
      }),
      profile: undefined,
    }),
  );
  t.match(markdown, '200: 99.9%, 412: 0.050%, 503: 0.050%');
  t.match(markdown, 'failed: 50.0%');
  t.match(markdown, '| missed | x | y | **no** |');
  t.match(markdown, '| not measured | — |');
  t.notMatch(markdown, '## Cold start');
  t.notMatch(markdown, '## Query plans');
  t.notMatch(markdown, '## CPU profile');
  t.notMatch(markdown, '## Fleet');
  t.notMatch(markdown, '## Deep pages');
});

t.test('the fleet section gives both paths and the ratio of nginx to one instance directly', async (t) => {
  const fleet = fleetSummary(
    3,
    'three instances on PgBouncer',
    summariseScenario('fleet', 'get-bucketlist-through-nginx', 'through nginx, 3 instances', [
      round(6000),
      round(5000),
    ]),
    summariseScenario('fleet', 'get-bucketlist-direct', 'directly', [round(8000, { maxRssMb: 90 })]),
  );
  t.equal(fleet.ratio, 5500 / 8000);
  const markdown = renderMarkdown(report({ fleet }));
  t.match(markdown, '## Fleet: GET /v1/bucketlists/:id through nginx in front of 3 instances');
  t.match(markdown, 'three instances on PgBouncer');
  t.match(
    markdown,
    '| through nginx, 3 instances | 5500 | 5500 | 2.00 | 10.00 | 100.0 | all 2xx/3xx | 0.688 | 6000, 5000 |',
  );
  t.match(markdown, '| directly | 8000 | 8000 | 2.00 | 10.00 | 90.0 | all 2xx/3xx | 1.000 | 8000 |');
  t.match(markdown, 'Through nginx / one instance directly (ok req/s): **0.688**');
});

t.test('a fleet that could not run says why', async (t) => {
  const markdown = renderMarkdown(report({ fleetSkipped: 'nginx is not installed' }));
  t.match(markdown, '## Fleet\n\nSkipped: nginx is not installed.');
});

t.test('the deep pages section compares page 500 with page 1 by number and by cursor', async (t) => {
  const page = (name: string, okRps: number, p50: number) =>
    summariseScenario('postgres', name, name, [round(okRps, { latencyP50Ms: p50 })]);
  const byNumber = pagingSummary(page('page 1 by number', 4000, 10), page('page 500 by number', 1000, 40));
  const byCursor = pagingSummary(page('page 1 by cursor', 4000, 10), page('page 500 by cursor', 3960, 10.1));
  t.equal(byNumber.requestsRatio, 0.25);
  t.equal(byNumber.latencyRatio, 4);
  const markdown = renderMarkdown(
    report({
      pages: {
        rows: 10_020,
        pageSize: 20,
        deepPage: 500,
        sort: '-id',
        byNumber,
        byCursor,
        plans: [
          { name: 'page 500 by number', file: 'p.txt', indexes: [], seqScans: [], executionMs: 2.9, buffers: 182 },
        ],
      },
    }),
  );
  t.match(markdown, '## Deep pages: page 1 against page 500, by number (OFFSET) and by cursor (keyset)');
  t.match(markdown, "One user's 10020 bucketlists, `page_size=20`, `sort=-id`");
  t.match(markdown, '| page 500 by number | 1000 | 1000 | 40.00 | 10.00 | 100.0 | all 2xx/3xx | 1000 |');
  t.match(markdown, '| by number (OFFSET) | 0.250 | 4.000 |');
  t.match(markdown, '| by cursor (keyset) | 0.990 | 1.010 |');
  t.match(markdown, '| page 500 by number | 182 | 2.900 |');
});

t.test('the SVG chart has two bars per endpoint, a line at 1.0, and escaped labels', async (t) => {
  const { scenarios } = fullRun();
  const svg = renderRatioSvg([
    ...scenarios,
    { ...(scenarios[0] as ScenarioSummary), label: '<a & "b">', ratioToHello: undefined, ratioToHandwritten: 2 },
  ]);
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  t.match(svg, 'postgres: label of get-bucketlist');
  t.notMatch(svg, 'label of hello-world');
  t.match(svg, '&lt;a &amp; &quot;b&quot;&gt;');
  // 4 endpoints with both ratios, one with only the hand-written one.
  t.equal(svg.match(/<rect x="\d+" y="\d+" width="[\d.]+" height="11"/g)?.length, 9);
  t.match(svg, 'stroke-dasharray');
  t.match(svg, '>0.95<');
});

t.test(
  "each PostgreSQL scenario a peer ran too gets the API's ratio to the peer, in the table and the chart",
  async (t) => {
    const { scenarios: measured, coldStarts } = fullRun();
    const scenarios = withRatios([
      ...measured.map(({ ratioToHello: _hello, ratioToHandwritten: _handwritten, ...entry }) => entry),
      scenario('embedded', 'list-bucketlists', 3000),
      scenario('peer', 'platformatic-get-bucketlist', 10_000),
      scenario('peer', 'platformatic-list-bucketlists', 4000),
    ]);
    const find = (target: Target, name: string) =>
      scenarios.find((entry) => entry.target === target && entry.scenario === name);
    t.same(find('postgres', 'get-bucketlist')?.ratioToPeers, { 'Platformatic DB': 0.95 });
    t.same(find('postgres', 'list-bucketlists')?.ratioToPeers, { 'Platformatic DB': 1.5 });
    t.notOk(find('postgres', 'post-item')?.ratioToPeers, 'no peer ran the POST');
    t.notOk(find('embedded', 'list-bucketlists')?.ratioToPeers, 'the peer ran on PostgreSQL only');
    t.equal(find('peer', 'platformatic-get-bucketlist')?.ratioToHandwritten, 1, 'a peer row has the baseline ratios');
    t.notOk(find('peer', 'platformatic-get-bucketlist')?.ratioToPeers);
    t.same(peersIn(scenarios), ['Platformatic DB']);

    const markdown = renderMarkdown({ ...report(), scenarios, coldStarts });
    t.match(
      markdown,
      '| × hello-world | × hand-written | × Platformatic DB |\n|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    );
    t.match(
      markdown,
      '| postgres | label of get-bucketlist | 9500 | 9500 | 2.00 | 12.00 | 120.0 | all 2xx/3xx | 0.317 | 0.950 | 0.950 |',
    );
    t.match(markdown, '| 0.200 | 0.600 | 1.500 |');
    t.match(markdown, '| peer | label of platformatic-get-bucketlist | 10000 |');
    t.match(markdown, /\| peer \| label of platformatic-get-bucketlist .* \| 0.333 \| 1.000 \| n\/a \|/);
    t.match(markdown, '"× <peer>" is the API\'s req/s over the peer\'s');

    const svg = renderRatioSvg(scenarios);
    t.match(svg, 'relative to the baselines and peers');
    t.match(svg, '× Platformatic DB (the API over the peer, same scenario)');
    t.equal(svg.match(/fill="#66c2a5"/g)?.length, 3, 'two peer bars and the legend');
  },
);

t.test('without peers the table and chart have no peer column, bar or note', async (t) => {
  const { scenarios } = fullRun();
  t.same(peersIn(scenarios), []);
  t.notMatch(renderMarkdown(report()), '× Platformatic DB');
  t.notMatch(renderMarkdown(report()), '"× <peer>"');
  t.notMatch(renderRatioSvg(scenarios), 'peers');
});
