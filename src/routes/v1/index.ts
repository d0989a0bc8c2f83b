/** Version 1 of the API: every resource, each in its own folder. */
import type { FastifyPluginAsync } from 'fastify';
import { DEFAULT_API_VERSION } from '../../schemas/api-version.js';
import adminRoutes from './admin/index.js';
import { chooseApiVersion } from './api-version.js';
import authRoutes from './auth/index.js';
import bucketlistRoutes from './bucketlists/index.js';
import exportRoutes from './exports/index.js';
import itemRoutes from './items/index.js';
import memberRoutes from './members/index.js';
import { requireDecimalIntegers } from './decimal-integers.js';
import { placeNegotiation, rejectUnacceptable } from './negotiation.js';
import userRoutes from './users/index.js';

const v1: FastifyPluginAsync = async (app) => {
  app.decorateRequest('apiVersion', DEFAULT_API_VERSION);
  app.addHook('onRoute', requireDecimalIntegers);
  // The version and 406 checks come before authentication everywhere; on the rate-limited auth
  // routes they come after the limiter, so each auth route places them itself.
  await app.register(async (auth) => {
    auth.addHook('onRoute', placeNegotiation);
    await auth.register(authRoutes, { prefix: '/auth' });
  });
  await app.register(async (resources) => {
    resources.addHook('onRequest', chooseApiVersion);
    resources.addHook('onRequest', rejectUnacceptable);
    await resources.register(userRoutes, { prefix: '/users' });
    await resources.register(bucketlistRoutes, { prefix: '/bucketlists' });
    await resources.register(itemRoutes, { prefix: '/bucketlists/:id/items' });
    await resources.register(memberRoutes, { prefix: '/bucketlists/:id/members' });
    await resources.register(adminRoutes, { prefix: '/admin' });
  });
  // Exports negotiate per route: the download also speaks CSV.
  await app.register(async (exportScope) => {
    exportScope.addHook('onRequest', chooseApiVersion);
    await exportScope.register(exportRoutes, { prefix: '/exports' });
  });
};

export default v1;
