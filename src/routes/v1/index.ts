/** Version 1 of the API: every resource, each in its own folder. */
import type { FastifyPluginAsync } from 'fastify';
import authRoutes from './auth/index.js';
import bucketlistRoutes from './bucketlists/index.js';
import adminRoutes from './admin/index.js';
import itemRoutes from './items/index.js';
import memberRoutes from './members/index.js';
import { requireDecimalIntegers } from './decimal-integers.js';
import { placeAcceptCheck, rejectUnacceptable } from './negotiation.js';
import userRoutes from './users/index.js';

const v1: FastifyPluginAsync = async (app) => {
  app.addHook('onRoute', requireDecimalIntegers);
  // The 406 check comes before authentication everywhere; on the rate-limited auth routes it
  // comes after the limiter, so each auth route places it itself.
  await app.register(async (auth) => {
    auth.addHook('onRoute', placeAcceptCheck);
    await auth.register(authRoutes, { prefix: '/auth' });
  });
  await app.register(async (resources) => {
    resources.addHook('onRequest', rejectUnacceptable);
    await resources.register(userRoutes, { prefix: '/users' });
    await resources.register(bucketlistRoutes, { prefix: '/bucketlists' });
    await resources.register(itemRoutes, { prefix: '/bucketlists/:id/items' });
    await resources.register(memberRoutes, { prefix: '/bucketlists/:id/members' });
    await resources.register(adminRoutes, { prefix: '/admin' });
  });
};

export default v1;
