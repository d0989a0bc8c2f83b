/**
 * Baseline: a bare Fastify 5 hello world (no logger, no plugins). Nothing served by Fastify on
 * this machine can be faster; the bench divides every endpoint's req/s by this one's.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.get('/healthz', async () => ({ status: 'ok' }));

process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3001) });
