/** Version 1 of the API: every resource, each in its own folder. */
import type { FastifyPluginAsync } from 'fastify';
import authRoutes from './auth/index.js';
import bucketlistRoutes from './bucketlists/index.js';
import itemRoutes from './items/index.js';
import { requireDecimalIntegers } from './decimal-integers.js';
import { checkAcceptAfterRateLimit, rejectUnacceptableFirst } from './negotiation.js';
import userRoutes from './users/index.js';

const v1: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', rejectUnacceptableFirst);
  app.addHook('onRoute', (route) => {
    checkAcceptAfterRateLimit(route);
    requireDecimalIntegers(route);
  });
  await app.register(authRoutes, { prefix: '/auth' });
  await app.register(userRoutes, { prefix: '/users' });
  await app.register(bucketlistRoutes, { prefix: '/bucketlists' });
  await app.register(itemRoutes, { prefix: '/bucketlists/:id/items' });
};

export default v1;
