/**
 * The bench's Platformatic DB peer: Platformatic DB started through its programmatic API on the
 * platformatic.json the bench wrote (PEER_CONFIG), in this one process, listening on
 * 127.0.0.1:PORT. Listening here rather than through `start()` keeps it on the loopback address:
 * Platformatic binds every interface when it believes it runs in a container.
 */
import process from 'node:process';
import { buildServer } from '@platformatic/db';

const { PEER_CONFIG, PORT } = process.env;
if (!PEER_CONFIG || !PORT) throw new Error('PEER_CONFIG and PORT are required');

const app = await buildServer(PEER_CONFIG);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
await app.listen({ host: '127.0.0.1', port: Number(PORT) });
