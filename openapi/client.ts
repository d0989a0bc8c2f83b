/**
 * A typed client of the Bucketlist API: openapi-fetch over the types that openapi-typescript
 * generates from openapi/openapi.json (`npm run openapi:types`). Paths, parameters, bodies and
 * responses, errors (the Problem schema) included, are checked by the compiler; nothing is written
 * by hand but this factory.
 */
import createClient, { type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
/** The named schemas of the document: `Schemas['Bucketlist']`, `Schemas['Problem']`, … */
export type Schemas = components['schemas'];

export interface BucketlistClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The access token to send as `Authorization: Bearer …`, read before every request (so it can be refreshed). */
  accessToken?: () => string | undefined;
}

/** A client for the API at `baseUrl` (e.g. `https://api.example.com`). */
export function createBucketlistClient(baseUrl: string, { accessToken, ...options }: BucketlistClientOptions = {}) {
  const client = createClient<paths>({ baseUrl, ...options });
  if (accessToken) {
    const bearer: Middleware = {
      onRequest({ request }) {
        const token = accessToken();
        if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

export type BucketlistClient = ReturnType<typeof createBucketlistClient>;
