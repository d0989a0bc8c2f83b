/**
 * Graceful shutdown of the real server process: SIGTERM in the middle of a stream of writes loses
 * no acknowledged write, refuses what comes after, and exits 0 without hanging.
 */
import t from 'tap';
import { exitOf, serverDatabase, sourceServerArgs, startServer } from './server-process.js';

// Longer than tap's default per file: two server starts and a write stream, on a busy machine.
t.setTimeout(180_000);

const WRITES = 300;
const CONCURRENCY = 8;
const SIGNAL_AFTER_ACKS = 40;

interface Outcome {
  index: number;
  afterSignal: boolean;
  status?: number;
  id?: number;
  contentType?: string | null;
  error?: string;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function tokenFor(url: string, credentials: { email: string; password: string }) {
  const login = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  return (await json<{ access_token: string }>(login)).access_token;
}

/** The cause's code of a failed fetch (ECONNREFUSED, UND_ERR_SOCKET…), or its name (TimeoutError). */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).name;
}

t.test('SIGTERM during a stream of writes: every acknowledged write is kept, then a clean exit', async (t) => {
  const env = await serverDatabase(t);
  const first = await startServer(t, { args: sourceServerArgs, env });
  const credentials = { email: 'shutdown@example.com', password: 'correct horse battery staple' };
  const registered = await fetch(`${first.url}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...credentials, name: 'Shutdown' }),
  });
  // Regression: the event-loop block of migrating at start was once taken for overload (503s).
  t.equal(registered.status, 201, 'the freshly migrated server serves writes at once');
  const authorization = `Bearer ${await tokenFor(first.url, credentials)}`;

  const outcomes: Outcome[] = [];
  let next = 0;
  let acknowledged = 0;
  let signalled = false;
  const writer = async () => {
    while (next < WRITES) {
      const index = next++;
      const outcome: Outcome = { index, afterSignal: signalled };
      outcomes.push(outcome);
      try {
        const response = await fetch(`${first.url}/v1/bucketlists`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ name: `write ${index}` }),
          signal: AbortSignal.timeout(15_000),
        });
        outcome.status = response.status;
        outcome.contentType = response.headers.get('content-type');
        const body = await json<{ id?: number }>(response);
        if (response.status === 201) {
          outcome.id = body.id;
          acknowledged += 1;
        }
      } catch (error) {
        outcome.error = errorCode(error);
      }
      if (!signalled && acknowledged >= SIGNAL_AFTER_ACKS) {
        signalled = true;
        first.child.kill('SIGTERM');
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, writer));
  t.ok(signalled, 'SIGTERM was sent mid-stream');
  t.equal(await exitOf(first, 20_000), 0, 'the server exits with code 0');

  const created = outcomes.filter((outcome) => outcome.status === 201);
  const unavailable = outcomes.filter((outcome) => outcome.status === 503);
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  const afterSignal = outcomes.filter((outcome) => outcome.afterSignal);
  const errorCodes = [...new Set(failed.map((outcome) => outcome.error))];

  t.same(
    outcomes.filter((outcome) => outcome.status !== undefined && outcome.status !== 201 && outcome.status !== 503),
    [],
    'every answer is a 201 or a 503',
  );
  for (const outcome of unavailable) t.match(outcome.contentType, /^application\/problem\+json/, '503 problem');
  t.notOk(errorCodes.includes('TimeoutError'), 'no request hung');
  t.same(
    errorCodes.filter((code) => !['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code ?? '')),
    [],
    `failures are refused or closed connections (${errorCodes.join(', ') || 'none'})`,
  );
  t.ok(
    afterSignal.some((outcome) => outcome.status === 503 || outcome.error !== undefined),
    'requests after the signal are refused or get 503',
  );

  // Restart on the same database and count what it holds.
  const second = await startServer(t, { args: sourceServerArgs, env });
  const secondAuthorization = `Bearer ${await tokenFor(second.url, credentials)}`;
  const stored = new Map<number, string>();
  for (let page = 1; ; page++) {
    const response = await fetch(`${second.url}/v1/bucketlists?page_size=100&page=${page}`, {
      headers: { authorization: secondAuthorization },
    });
    const body = await json<{ items: { id: number; name: string }[]; total: number }>(response);
    for (const item of body.items) stored.set(item.id, item.name);
    if (body.items.length === 0 || stored.size >= body.total) break;
  }
  t.equal(stored.size, created.length, 'rows stored == writes acknowledged');
  for (const outcome of created) {
    t.equal(stored.get(outcome.id ?? 0), `write ${outcome.index}`, `acknowledged write ${outcome.index} is stored`);
  }
  second.child.kill('SIGTERM');
  t.equal(await exitOf(second, 20_000), 0, 'the restarted server exits cleanly too');

  t.comment(
    `writes attempted: ${outcomes.length}; acknowledged (201): ${created.length}; rows after restart: ${stored.size}; ` +
      `503: ${unavailable.length}; connection errors: ${failed.length} (${errorCodes.join(', ') || 'none'}); ` +
      `sent after SIGTERM: ${afterSignal.length}; never sent: ${WRITES - outcomes.length}`,
  );
});
