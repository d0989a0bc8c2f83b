import { createServer, type Server } from 'node:net';
import t from 'tap';
import { portPicker } from '../../bench/lib/ports.js';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

t.test('without a range, any free port', async (t) => {
  const port = await portPicker()();
  t.ok(port > 0 && port < 65_536);
  const server = await listen(port);
  await close(server);
});

t.test('with a range, the next free port of it, skipping busy ones and wrapping around', async (t) => {
  // Three ports free at this moment, the middle one then held busy here.
  let base = 0;
  let busy: Server | undefined;
  for (let attempt = 0; attempt < 10 && !busy; attempt++) {
    base = await portPicker()();
    busy = base < 65_534 ? await listen(base + 1).catch(() => undefined) : undefined;
  }
  if (!busy) throw new Error('found no two free neighbouring ports');
  const held = busy;
  t.teardown(() => close(held));
  const next = portPicker({ from: base, to: base + 2 });
  t.equal(await next(), base);
  t.equal(await next(), base + 2, 'the busy port is skipped');
  t.equal(await next(), base, 'and the range wraps around');
});

t.test('a range with no free port is an error', async (t) => {
  const server = await listen(0);
  t.teardown(() => close(server));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await t.rejects(portPicker({ from: port, to: port })(), /no free port in/);
});
