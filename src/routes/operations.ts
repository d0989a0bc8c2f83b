/** Operational probes, outside /v1 and without authentication. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { serviceUnavailable } from '../errors.js';
import { Health, problems, ref } from '../schemas/common.js';

const operationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getHealth',
        summary: 'Liveness: 200 while the process runs',
        description: 'For liveness probes: answers without touching the database.',
        response: { 200: ref(Health), ...problems(500, 503) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary: 'Readiness: 200 when the database answers, 503 when it does not',
        description: 'For readiness probes and load balancers: pings the database with a 2 s bound.',
        response: { 200: ref(Health), ...problems(500, 503) },
      },
    },
    async (request) => {
      try {
        await app.pingDatabase();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw serviceUnavailable('The database is not answering.');
      }
      return { status: 'ok' as const };
    },
  );
};

export default operationRoutes;
