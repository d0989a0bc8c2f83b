/**
 * Reading what a load generator printed: wrk's text summary (with `--latency`), the JSON line
 * our wrk Lua script adds (exact percentiles and status counts), or autocannon's `--json`.
 * Pure functions, so they are unit-tested; the bench itself is not.
 */

/** One bounded load run, as the load generator saw it. */
export interface LoadMeasurement {
  requests: number;
  durationSeconds: number;
  /** Every response, whatever its status. */
  requestsPerSecond: number;
  /** Only 2xx/3xx responses: the throughput that did the job. */
  okRequestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  /** Responses whose status was not 2xx or 3xx. */
  non2xx: number;
  /** Responses by status code, when the generator counted them (our PATCH script does). */
  statuses?: Record<string, number>;
}

/** The marker our Lua `done()` prints before its one-line JSON summary. */
export const WRK_JSON_MARKER = 'BENCH_JSON ';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** wrk's durations: `812.00us`, `5.04ms`, `1.20s`, `2.00m`. */
export function parseWrkDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

interface WrkJsonLine {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  statuses?: Record<string, number>;
}

/** Parses wrk's summary; the Lua JSON line, when present, supplies exact numbers. */
export function parseWrkOutput(output: string): LoadMeasurement {
  const jsonLine = output.split('\n').find((line) => line.startsWith(WRK_JSON_MARKER));
  if (jsonLine) {
    const data = JSON.parse(jsonLine.slice(WRK_JSON_MARKER.length)) as WrkJsonLine;
    const durationSeconds = data.duration_us / 1e6;
    const statuses = data.statuses && Object.keys(data.statuses).length > 0 ? data.statuses : undefined;
    return {
      requests: data.requests,
      durationSeconds,
      requestsPerSecond: durationSeconds > 0 ? data.requests / durationSeconds : 0,
      okRequestsPerSecond: durationSeconds > 0 ? (data.requests - data.errors.status) / durationSeconds : 0,
      latencyP50Ms: data.p50_us / 1000,
      latencyP99Ms: data.p99_us / 1000,
      errors: {
        connect: data.errors.connect,
        read: data.errors.read,
        write: data.errors.write,
        timeout: data.errors.timeout,
      },
      non2xx: data.errors.status,
      ...(statuses ? { statuses } : {}),
    };
  }

  const total = /(\d+) requests in ([\d.]+\w+),/.exec(output);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s*50%\s+(\S+)/m.exec(output);
  const p99 = /^\s*99%\s+(\S+)/m.exec(output);
  if (!total || !rate || !p50 || !p99) {
    throw new Error(`unrecognised wrk output (was --latency given?):\n${output.slice(0, 2000)}`);
  }
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(total[1]);
  const durationSeconds = parseWrkDuration(total[2] as string) / 1000;
  return {
    requests,
    durationSeconds,
    requestsPerSecond: Number(rate[1]),
    okRequestsPerSecond: durationSeconds > 0 ? (requests - failed) / durationSeconds : 0,
    latencyP50Ms: parseWrkDuration(p50[1] as string),
    latencyP99Ms: parseWrkDuration(p99[1] as string),
    errors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    non2xx: failed,
  };
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Parses `autocannon --json` (latencies in milliseconds, duration in seconds). */
export function parseAutocannonJson(output: string): LoadMeasurement {
  const start = output.indexOf('{');
  if (start < 0) throw new Error(`unrecognised autocannon output:\n${output.slice(0, 2000)}`);
  const data = JSON.parse(output.slice(start)) as AutocannonJson;
  return {
    requests: data.requests.total,
    durationSeconds: data.duration,
    requestsPerSecond: data.duration > 0 ? data.requests.total / data.duration : data.requests.average,
    okRequestsPerSecond: data.duration > 0 ? (data.requests.total - data.non2xx) / data.duration : 0,
    latencyP50Ms: data.latency.p50,
    latencyP99Ms: data.latency.p99,
    // autocannon does not split socket errors by kind; its count goes under `read`.
    errors: { connect: 0, read: data.errors - data.timeouts, write: 0, timeout: data.timeouts },
    non2xx: data.non2xx,
  };
}
