/**
 * The fleet scenario: GET /v1/bucketlists/:id under wrk, through nginx in front of three API
 * instances on PgBouncer (test/deploy/fleet.ts, the deploy/ recipe), and directly against one
 * instance of the same fleet, for comparison. Needs nginx, pgbouncer, Redis and wrk.
 *
 * `npm run bench:fleet -- [--duration S] [--connections N]`
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startFleet } from '../test/deploy/fleet.js';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' } },
});
// The fleet helper reads the server to put PgBouncer in front of from TEST_DATABASE_URL.
process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const cleanups: (() => unknown)[] = [];
try {
  const fleet = await startFleet({ teardown: (fn) => cleanups.push(fn) }, { instances: 3 });
  const post = (path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${fleet.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then((response) => response.json() as Promise<Record<string, unknown>>);
  const credentials = { email: `bench-fleet-${process.pid}@example.com`, password: 'correct horse battery' };
  await post('/v1/auth/register', { ...credentials, name: 'Bench' });
  const tokens = await post('/v1/auth/login', credentials);
  const authorization = `Bearer ${tokens.access_token as string}`;
  const bucketlist = await post('/v1/bucketlists', { name: 'Fleet' }, { authorization });
  const path = `/v1/bucketlists/${bucketlist.id as number}`;
  console.log(`GET ${path}, ${values.connections} connections, ${values.duration} s, wrk 2 threads`);
  for (const [label, base] of [
    ['through nginx, 3 instances', fleet.url],
    ['one instance directly', fleet.apis[0]?.url as string],
  ] as const) {
    const output = execFileSync(
      'wrk',
      [
        '-t2',
        `-c${values.connections}`,
        `-d${values.duration}s`,
        '--latency',
        '-H',
        `Authorization: ${authorization}`,
        `${base}${path}`,
      ],
      { encoding: 'utf8' },
    );
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
    const p50 = /50%\s+(\S+)/.exec(output)?.[1];
    const p99 = /99%\s+(\S+)/.exec(output)?.[1];
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? '0';
    console.log(`| ${label} | ${rate} req/s | p50 ${p50} | p99 ${p99} | non-2xx ${errors} |`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
