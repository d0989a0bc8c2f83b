/**
 * The bench's results: medians over rounds, ratios to the baselines, the goals, and their
 * renderings as Markdown and as a hand-written SVG bar chart. Pure functions, unit-tested.
 */
import type { LoadMeasurement } from './load-output.js';
import { PEER_SCENARIOS, PEERS, type PeerScenario, parsePeerScenario, peerScenario } from './peers.js';
import { costPerRequest } from './profile.js';

export type Target = 'postgres' | 'embedded' | 'baseline' | 'cluster' | 'peer' | 'fleet';

/** One measured round: what the load generator saw plus the server's peak memory. */
export interface RoundMeasurement extends LoadMeasurement {
  maxRssMb: number;
}

export interface ScenarioSummary {
  target: Target;
  scenario: string;
  label: string;
  rounds: RoundMeasurement[];
  /** Medians over the rounds. Successful (2xx/3xx) responses per second: what ratios and goals use. */
  requestsPerSecond: number;
  /** Every response per second, failures (e.g. 503 load shedding, 412) included. */
  responsesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The highest RSS sampled in any round (the conservative number for a memory goal). */
  maxRssMb: number;
  /** Share of all responses that were not 2xx/3xx, plus socket errors, over all rounds. */
  failureShare: number;
  /** Share of each status over all rounds, where the load generator counted them. */
  statusShares?: Record<string, number>;
  ratioToHello?: number;
  ratioToHandwritten?: number;
  /** The API's req/s as a multiple of each peer's on the same scenario, by the peer's title. */
  ratioToPeers?: Record<string, number>;
}

export interface ColdStartSummary {
  target: 'postgres' | 'embedded';
  roundsMs: number[];
  medianMs: number;
}

export interface PlanSummary {
  name: string;
  file: string;
  indexes: string[];
  seqScans: string[];
  executionMs: number | null;
  /** Shared buffers the statement touched (hit + read), or null when the plan reports none. */
  buffers: number | null;
}

export interface ProfileFrame {
  functionName: string;
  location: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileSummary {
  file: string;
  /** Busy time sampled (V8's "(idle)" excluded); shares are of this. */
  totalMs: number;
  idleMs: number;
  top: ProfileFrame[];
  byGroup: { group: string; selfMs: number; selfShare: number }[];
  /** Requests completed in the profiled window, when known. */
  requests?: number;
}

export interface Goal {
  name: string;
  wanted: string;
  actual: string;
  /** null when the run did not measure it (e.g. no --embedded). */
  met: boolean | null;
}

/** The fleet's GET: through nginx in front of its instances, and against one of them directly. */
export interface FleetSummary {
  instances: number;
  /** How the fleet ran: PgBouncer's mode and version, the instances' command, what shares the cores. */
  setup: string;
  throughBalancer: ScenarioSummary;
  direct: ScenarioSummary;
  /** ok req/s through nginx over ok req/s of one instance directly. */
  ratio: number;
}

/** One way of paging (by number, by cursor): its first page and its deep page, measured alike. */
export interface PagingSummary {
  first: ScenarioSummary;
  deep: ScenarioSummary;
  /** The deep page's ok req/s over the first page's (1: as fast; OFFSET makes it smaller). */
  requestsRatio: number;
  /** The deep page's median latency over the first page's (1: as fast; OFFSET makes it larger). */
  latencyRatio: number;
}

/** Page 1 against a deep page of one user's bucketlists, by number (OFFSET) and by cursor (keyset). */
export interface PagesSummary {
  rows: number;
  pageSize: number;
  deepPage: number;
  sort: string;
  byNumber: PagingSummary;
  byCursor: PagingSummary;
  /** The list statements of page 1 and the deep page both ways, under EXPLAIN (ANALYZE, BUFFERS). */
  plans: PlanSummary[];
}

export interface BenchReport {
  startedAt: string;
  command: string;
  setup: Record<string, string | number>;
  notes: string[];
  scenarios: ScenarioSummary[];
  coldStarts: ColdStartSummary[];
  goals: Goal[];
  plans: PlanSummary[];
  profile?: ProfileSummary;
  /** The hand-written baseline's profile under the same GET load, to compare per request. */
  baselineProfile?: ProfileSummary;
  fleet?: FleetSummary;
  /** Why the fleet did not run, when it was asked for. */
  fleetSkipped?: string;
  pages?: PagesSummary;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Folds the rounds of one scenario into its medians and shares. */
export function summariseScenario(
  target: Target,
  scenario: string,
  label: string,
  rounds: RoundMeasurement[],
): ScenarioSummary {
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0);
  const failures = rounds.reduce(
    (sum, round) =>
      sum + round.non2xx + round.errors.connect + round.errors.read + round.errors.write + round.errors.timeout,
    0,
  );
  const statusCounts: Record<string, number> = {};
  for (const round of rounds) {
    for (const [status, count] of Object.entries(round.statuses ?? {})) {
      statusCounts[status] = (statusCounts[status] ?? 0) + count;
    }
  }
  const counted = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  const summary: ScenarioSummary = {
    target,
    scenario,
    label,
    rounds,
    requestsPerSecond: median(rounds.map((round) => round.okRequestsPerSecond)),
    responsesPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    latencyP50Ms: median(rounds.map((round) => round.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((round) => round.latencyP99Ms)),
    maxRssMb: Math.max(...rounds.map((round) => round.maxRssMb)),
    failureShare: requests > 0 ? failures / requests : 0,
  };
  if (counted > 0) {
    summary.statusShares = Object.fromEntries(
      Object.entries(statusCounts).map(([status, count]) => [status, count / counted]),
    );
  }
  return summary;
}

/** A first page and a deep page of one way of paging, with the deep page's cost relative to the first's. */
export function pagingSummary(first: ScenarioSummary, deep: ScenarioSummary): PagingSummary {
  return {
    first,
    deep,
    requestsRatio: deep.requestsPerSecond / first.requestsPerSecond,
    latencyRatio: deep.latencyP50Ms / first.latencyP50Ms,
  };
}

/** The fleet's two measurements and the ratio of their successful req/s. */
export function fleetSummary(
  instances: number,
  setup: string,
  throughBalancer: ScenarioSummary,
  direct: ScenarioSummary,
): FleetSummary {
  return {
    instances,
    setup,
    throughBalancer,
    direct,
    ratio: throughBalancer.requestsPerSecond / direct.requestsPerSecond,
  };
}

export const HELLO = 'hello-world';
export const HANDWRITTEN = 'handwritten-get-bucketlist';

/**
 * Every non-baseline scenario's req/s as a multiple of each baseline's; and each PostgreSQL
 * scenario that a peer ran too (same database, one process on the same core), as a multiple of
 * the peer's.
 */
export function withRatios(scenarios: ScenarioSummary[]): ScenarioSummary[] {
  const requestsOf = (target: Target, name: string) =>
    scenarios.find((entry) => entry.target === target && entry.scenario === name)?.requestsPerSecond;
  const hello = requestsOf('baseline', HELLO);
  const handwritten = requestsOf('baseline', HANDWRITTEN);
  return scenarios.map((entry) => {
    if (entry.target === 'baseline') return entry;
    const next = { ...entry };
    if (hello) next.ratioToHello = entry.requestsPerSecond / hello;
    if (handwritten) next.ratioToHandwritten = entry.requestsPerSecond / handwritten;
    if (entry.target === 'postgres' && PEER_SCENARIOS.includes(entry.scenario as PeerScenario)) {
      for (const peer of PEERS) {
        const peerRequests = requestsOf('peer', peerScenario(peer, entry.scenario as PeerScenario));
        if (peerRequests)
          next.ratioToPeers = { ...next.ratioToPeers, [peer.title]: entry.requestsPerSecond / peerRequests };
      }
    }
    return next;
  });
}

/** The titles of the peers that ran, in the order of PEERS. */
export function peersIn(scenarios: ScenarioSummary[]): string[] {
  const ran = new Set(
    scenarios.filter((entry) => entry.target === 'peer').map((entry) => parsePeerScenario(entry.scenario)?.peer.title),
  );
  return PEERS.map((peer) => peer.title).filter((title) => ran.has(title));
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1)}%`;

export interface GoalInputs {
  scenarios: ScenarioSummary[];
  coldStarts: ColdStartSummary[];
}

/** The goals from the issue, each checked against this run's numbers. */
export function evaluateGoals({ scenarios, coldStarts }: GoalInputs): Goal[] {
  const find = (target: Target, scenario: string) =>
    scenarios.find((entry) => entry.target === target && entry.scenario === scenario);
  const single = find('postgres', 'get-bucketlist');
  const handwritten = find('baseline', HANDWRITTEN);
  const goals: Goal[] = [];

  const ratio = (over: ScenarioSummary | undefined, under: ScenarioSummary | undefined) =>
    over && under ? over.requestsPerSecond / under.requestsPerSecond : undefined;
  /**
   * `bound`, when given, is the same ratio between two hand-written baselines: what the database
   * and the driver allow that ratio at all, with none of the app's work.
   */
  const ratioGoal = (
    name: string,
    over: ScenarioSummary | undefined,
    under: ScenarioSummary | undefined,
    min: number,
    bound?: [ScenarioSummary | undefined, ScenarioSummary | undefined],
  ) => {
    const actual = ratio(over, under);
    const bounding = bound && ratio(...bound);
    goals.push({
      name,
      wanted: `≥ ${min}×`,
      actual:
        actual === undefined
          ? 'not measured'
          : `${fixed(actual, 2)}× (${fixed(over?.requestsPerSecond, 0)} / ${fixed(under?.requestsPerSecond, 0)} req/s)` +
            (bounding === undefined ? '' : `; hand-written: ${fixed(bounding, 2)}×`),
      met: actual === undefined ? null : actual >= min,
    });
  };

  ratioGoal('GET /v1/bucketlists/:id vs hand-written baseline', single, handwritten, 0.9);
  // A p99 over mostly failed (e.g. shed) requests says nothing about the route: it fails the goal.
  const failing = single !== undefined && single.failureShare > 0.01;
  goals.push({
    name: 'GET /v1/bucketlists/:id p99',
    wanted: '≤ 15 ms, < 1% failed',
    actual: single
      ? `${fixed(single.latencyP99Ms, 2)} ms${failing ? ` (${percent(single.failureShare)} of responses failed)` : ''}`
      : 'not measured',
    met: single ? single.latencyP99Ms <= 15 && !failing : null,
  });
  ratioGoal('list page (20, with total) vs single GET', find('postgres', 'list-bucketlists'), single, 0.6, [
    find('baseline', 'handwritten-list-bucketlists'),
    handwritten,
  ]);
  ratioGoal('POST item vs single GET', find('postgres', 'post-item'), single, 0.5, [
    find('baseline', 'handwritten-post-item'),
    handwritten,
  ]);
  ratioGoal('embedded single GET vs PostgreSQL single GET', find('embedded', 'get-bucketlist'), single, 0.5, [
    find('baseline', 'handwritten-embedded-get-bucketlist'),
    handwritten,
  ]);

  for (const [target, limitMs] of [
    ['postgres', 800],
    ['embedded', 2000],
  ] as const) {
    const cold = coldStarts.find((entry) => entry.target === target);
    goals.push({
      name: `cold start to first /healthz 200 (${target}${target === 'embedded' ? ', migrated folder' : ''})`,
      wanted: `≤ ${limitMs / 1000} s`,
      actual: cold ? `${fixed(cold.medianMs / 1000, 3)} s` : 'not measured',
      met: cold ? cold.medianMs <= limitMs : null,
    });
  }

  const loaded = scenarios.filter((entry) => entry.target === 'postgres');
  const peak = loaded.length > 0 ? Math.max(...loaded.map((entry) => entry.maxRssMb)) : undefined;
  goals.push({
    name: 'RSS under load (PostgreSQL, all scenarios)',
    wanted: '≤ 150 MB',
    actual: peak === undefined ? 'not measured' : `${fixed(peak, 1)} MB`,
    met: peak === undefined ? null : peak <= 150,
  });
  return goals;
}

function statusText(entry: ScenarioSummary): string {
  if (entry.statusShares) {
    return Object.entries(entry.statusShares)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, share]) => `${status}: ${percent(share)}`)
      .join(', ');
  }
  return entry.failureShare > 0 ? `failed: ${percent(entry.failureShare)}` : 'all 2xx/3xx';
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/** The measured columns every results table shares: ok req/s, all resp/s, p50, p99, peak RSS, responses. */
const MEASURED_HEADER = 'ok req/s | all resp/s | p50 ms | p99 ms | peak RSS MB | responses |';
const MEASURED_ALIGN = '---:|---:|---:|---:|---:|---|';
const measuredCells = (entry: ScenarioSummary) =>
  `${fixed(entry.requestsPerSecond, 0)} | ${fixed(entry.responsesPerSecond, 0)} | ${fixed(entry.latencyP50Ms, 2)} | ${fixed(entry.latencyP99Ms, 2)} | ${fixed(entry.maxRssMb, 1)} | ${statusText(entry)} |`;
const roundsText = (entry: ScenarioSummary) =>
  entry.rounds.map((round) => fixed(round.okRequestsPerSecond, 0)).join(', ');

function renderFleet(fleet: FleetSummary): string[] {
  const lines = [
    '',
    `## Fleet: GET /v1/bucketlists/:id through nginx in front of ${fleet.instances} instances`,
    '',
    fleet.setup,
    '',
    `| path | ${MEASURED_HEADER} × directly | ok req/s per round |`,
    `|---|${MEASURED_ALIGN}---:|---|`,
  ];
  for (const [entry, ratio] of [
    [fleet.throughBalancer, fleet.ratio],
    [fleet.direct, 1],
  ] as const) {
    lines.push(`| ${escapeCell(entry.label)} | ${measuredCells(entry)} ${fixed(ratio, 3)} | ${roundsText(entry)} |`);
  }
  lines.push(
    '',
    `Through nginx / one instance directly (ok req/s): **${fixed(fleet.ratio, 3)}**. RSS is the API instances' (summed through nginx), not nginx's or PgBouncer's.`,
  );
  return lines;
}

function renderPages(pages: PagesSummary): string[] {
  const lines = [
    '',
    `## Deep pages: page 1 against page ${pages.deepPage}, by number (OFFSET) and by cursor (keyset)`,
    '',
    `One user's ${pages.rows} bucketlists, \`page_size=${pages.pageSize}\`, \`sort=${pages.sort}\`, through the API under the same load as the scenarios.`,
    '',
    `| page | ${MEASURED_HEADER} ok req/s per round |`,
    `|---|${MEASURED_ALIGN}---|`,
  ];
  for (const paging of [pages.byNumber, pages.byCursor]) {
    for (const entry of [paging.first, paging.deep]) {
      lines.push(`| ${escapeCell(entry.label)} | ${measuredCells(entry)} ${roundsText(entry)} |`);
    }
  }
  lines.push(
    '',
    `| paging | page ${pages.deepPage} / page 1, ok req/s | page ${pages.deepPage} / page 1, p50 latency |`,
    '|---|---:|---:|',
  );
  for (const [name, paging] of [
    ['by number (OFFSET)', pages.byNumber],
    ['by cursor (keyset)', pages.byCursor],
  ] as const) {
    lines.push(`| ${name} | ${fixed(paging.requestsRatio, 3)} | ${fixed(paging.latencyRatio, 3)} |`);
  }
  if (pages.plans.length > 0) {
    lines.push('', '| list statement (EXPLAIN ANALYZE, BUFFERS) | shared buffers | execution ms |', '|---|---:|---:|');
    for (const plan of pages.plans) {
      lines.push(
        `| ${escapeCell(plan.name)} | ${fixed(plan.buffers ?? undefined, 0)} | ${fixed(plan.executionMs ?? undefined, 3)} |`,
      );
    }
  }
  return lines;
}

/** The whole report as Markdown: setup, results, cold starts, goals, plans, fleet, deep pages, profile. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`# Bucketlist API bench — ${report.startedAt}`, '', `Command: \`${report.command}\``, '');
  lines.push('## Setup', '');
  for (const [key, value] of Object.entries(report.setup)) lines.push(`- ${key}: ${value}`);
  for (const note of report.notes) lines.push(`- ${note}`);
  lines.push('', '## Results (medians of rounds; RSS is the peak over all rounds)', '');
  const peers = peersIn(report.scenarios);
  lines.push(
    `| target | scenario | ${MEASURED_HEADER} × hello-world | × hand-written |${peers.map((title) => ` × ${title} |`).join('')}`,
    `|---|---|${MEASURED_ALIGN}---:|---:|${'---:|'.repeat(peers.length)}`,
  );
  for (const entry of report.scenarios) {
    const peerCells = peers.map((title) => ` ${fixed(entry.ratioToPeers?.[title], 3)} |`).join('');
    lines.push(
      `| ${entry.target} | ${escapeCell(entry.label)} | ${measuredCells(entry)} ${fixed(entry.ratioToHello, 3)} | ${fixed(entry.ratioToHandwritten, 3)} |${peerCells}`,
    );
  }
  lines.push(
    '',
    '"ok req/s" counts only 2xx/3xx responses; ratios and goals use it. Latencies cover every response.',
    ...(peers.length > 0
      ? [
          '"× <peer>" is the API\'s req/s over the peer\'s on the same scenario, rows and database (above 1: the API is faster).',
        ]
      : []),
    '',
    'Per round (ok req/s):',
    '',
  );
  for (const entry of report.scenarios)
    lines.push(`- ${entry.target} ${escapeCell(entry.label)}: ${roundsText(entry)}`);
  if (report.coldStarts.length > 0) {
    lines.push(
      '',
      '## Cold start (spawn to first `/healthz` 200)',
      '',
      '| target | median ms | rounds ms |',
      '|---|---:|---|',
    );
    for (const cold of report.coldStarts) {
      lines.push(
        `| ${cold.target} | ${fixed(cold.medianMs, 0)} | ${cold.roundsMs.map((ms) => fixed(ms, 0)).join(', ')} |`,
      );
    }
  }
  lines.push('', '## Goals', '', '| goal | wanted | actual | met |', '|---|---|---|---|');
  for (const goal of report.goals) {
    const met = goal.met === null ? '—' : goal.met ? 'yes' : '**no**';
    lines.push(`| ${escapeCell(goal.name)} | ${goal.wanted} | ${escapeCell(goal.actual)} | ${met} |`);
  }
  if (report.goals.some((goal) => goal.actual.includes('hand-written:'))) {
    lines.push(
      '',
      '"hand-written:" is the same ratio between the hand-written baselines (no logger, schema, session check or ORM): what the database and the driver allow it.',
    );
  }
  if (report.plans.length > 0) {
    lines.push(
      '',
      '## Query plans (EXPLAIN ANALYZE, PostgreSQL)',
      '',
      '| query | indexes used | seq scans | shared buffers | execution ms |',
    );
    lines.push('|---|---|---|---:|---:|');
    for (const plan of report.plans) {
      lines.push(
        `| ${escapeCell(plan.name)} | ${plan.indexes.join(', ') || '—'} | ${plan.seqScans.join(', ') || '—'} | ${fixed(plan.buffers ?? undefined, 0)} | ${fixed(plan.executionMs ?? undefined, 3)} |`,
      );
    }
  }
  if (report.fleet) lines.push(...renderFleet(report.fleet));
  else if (report.fleetSkipped) lines.push('', '## Fleet', '', `Skipped: ${report.fleetSkipped}.`);
  if (report.pages) lines.push(...renderPages(report.pages));
  if (report.profile) {
    const profile = report.profile;
    lines.push(
      '',
      `## CPU profile of GET /v1/bucketlists/:id (measured run only: ${fixed(profile.totalMs, 0)} ms busy, ${fixed(profile.idleMs, 0)} ms idle)`,
      '',
      `From \`${profile.file}\`; shares are of the busy time.`,
      '',
    );
    lines.push('| self % | self ms | group |', '|---:|---:|---|');
    for (const group of profile.byGroup.filter((entry) => entry.selfShare >= 0.001)) {
      lines.push(`| ${percent(group.selfShare)} | ${fixed(group.selfMs, 0)} | ${escapeCell(group.group)} |`);
    }
    lines.push('', '| self % | self ms | function | location |', '|---:|---:|---|---|');
    for (const frame of profile.top) {
      lines.push(
        `| ${percent(frame.selfShare)} | ${fixed(frame.selfMs, 0)} | ${escapeCell(frame.functionName)} | ${escapeCell(frame.location)} |`,
      );
    }
    const baseline = report.baselineProfile;
    const costs = baseline && costPerRequest(profile, baseline);
    if (baseline && costs) {
      lines.push(
        '',
        '### Per request, against the hand-written baseline under the same load',
        '',
        `Self time per request of each group, in µs: the API's profile above (${profile.requests} requests) and the hand-written GET's (\`${baseline.file}\`, ${baseline.requests} requests); largest extra cost first.`,
        '',
        '| group | API µs | hand-written µs | difference |',
        '|---|---:|---:|---:|',
      );
      for (const cost of [...costs.groups, costs.total]) {
        lines.push(
          `| ${escapeCell(cost.group)} | ${fixed(cost.apiMicros, 1)} | ${fixed(cost.baselineMicros, 1)} | ${fixed(cost.apiMicros - cost.baselineMicros, 1)} |`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char] ?? char,
  );

/**
 * A horizontal bar chart of each scenario's req/s relative to both baselines, and to each peer
 * that ran the same scenario, with a line at 1.0 (as fast). Hand-written SVG: no dependency,
 * viewable in any browser.
 */
export function renderRatioSvg(scenarios: ScenarioSummary[]): string {
  const rows = scenarios.filter((entry) => entry.target !== 'baseline');
  const peers = peersIn(scenarios);
  const labels = rows.map((entry) => `${entry.target}: ${entry.label}`);
  // About 6.5 px per character of 12 px sans-serif: wide enough for the longest label.
  const labelWidth = Math.max(200, Math.ceil(Math.max(0, ...labels.map((label) => label.length)) * 6.5) + 20);
  const chartWidth = 460;
  const barHeight = 12;
  const rowHeight = (2 + peers.length) * barHeight + 12;
  const top = 40;
  const bottom = top + rows.length * rowHeight;
  const legendLines = 1 + peers.length;
  const height = bottom + 24 + legendLines * 16;
  const barsOf = (entry: ScenarioSummary) => [
    entry.ratioToHello,
    entry.ratioToHandwritten,
    ...peers.map((title) => entry.ratioToPeers?.[title]),
  ];
  const maxRatio = Math.max(1, ...rows.flatMap((entry) => barsOf(entry).map((ratio) => ratio ?? 0)));
  const scale = (ratio: number) => (ratio / maxRatio) * chartWidth;
  const peerColors = ['#66c2a5', '#e78ac3', '#a6d854'];
  const colors = ['#8da0cb', '#fc8d62', ...peers.map((_, index) => peerColors[index % peerColors.length] as string)];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">successful req/s relative to the baselines${peers.length > 0 ? ' and peers' : ''} (1.0 = as fast)</text>`,
  ];
  rows.forEach((entry, index) => {
    const y = top + index * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + barHeight + 4}" text-anchor="end">${escapeXml(labels[index] as string)}</text>`,
    );
    barsOf(entry).forEach((ratio, barIndex) => {
      if (ratio === undefined) return;
      const barY = y + barIndex * barHeight;
      parts.push(
        `<rect x="${labelWidth}" y="${barY}" width="${scale(ratio).toFixed(1)}" height="${barHeight - 1}" fill="${colors[barIndex]}"/>`,
        `<text x="${(labelWidth + scale(ratio) + 4).toFixed(1)}" y="${barY + barHeight - 2}" font-size="10">${ratio.toFixed(2)}</text>`,
      );
    });
  });
  const oneX = (labelWidth + scale(1)).toFixed(1);
  const legend = (x: number, line: number, color: string, text: string) => [
    `<rect x="${x}" y="${bottom + 14 + line * 16}" width="12" height="10" fill="${color}"/>`,
    `<text x="${x + 16}" y="${bottom + 23 + line * 16}">${escapeXml(text)}</text>`,
  ];
  parts.push(
    `<line x1="${oneX}" y1="${top - 6}" x2="${oneX}" y2="${bottom}" stroke="#333" stroke-dasharray="4 3"/>`,
    `<text x="${oneX}" y="${top - 10}" text-anchor="middle" font-size="10">1.0</text>`,
    ...legend(labelWidth, 0, colors[0] as string, '× hello-world Fastify'),
    ...legend(labelWidth + 170, 0, colors[1] as string, '× hand-written Fastify + postgres.js GET'),
    ...peers.flatMap((title, index) =>
      legend(labelWidth, index + 1, colors[index + 2] as string, `× ${title} (the API over the peer, same scenario)`),
    ),
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
