/**
 * The OpenAPI 3.1 document, generated from the route schemas (named components come from the
 * schemas' `$id`s), served as JSON and YAML, and browsable in Swagger UI at /docs.
 */
import swagger, { type JSONObject, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { API_VERSION_PARAMETER } from '../schemas/api-version.js';

export const API_VERSION = '1.0.0';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every /v1 operation takes the Api-Version header: one shared component parameter, referenced
 * from each operation (route schemas can only declare headers inline).
 */
export function withApiVersionParameter<T extends { paths?: object }>(document: T): T {
  const paths = Object.entries(document.paths ?? {}) as [string, Partial<Record<string, { parameters?: object[] }>>][];
  for (const [path, item] of paths) {
    if (!path.startsWith('/v1/')) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (operation)
        operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/ApiVersion' }];
    }
  }
  return document;
}

/** The document as served: an OpenAPI one (this app's) with the Api-Version parameters; a Swagger 2.0 one as it is. */
export const servedDocument: SwaggerTransformObject = (document) =>
  'openapiObject' in document ? withApiVersionParameter(document.openapiObject) : document.swaggerObject;

/** A shared schema's component name: its `$id` (Problem, Bucketlist, …), or `def-N` for one without. */
export const componentName = (json: JSONObject, _baseUri: unknown, _fragment: string, index: number) =>
  String(json.$id ?? `def-${index}`);

export default fp(
  async function openapi(app) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Bucketlist API',
          version: API_VERSION,
          description:
            'Keep bucketlists (goals) and tick off their items. Errors are RFC 9457 problem details; lists are paginated with RFC 8288 Link headers; single resources carry strong ETags for conditional requests.',
          license: { name: 'MIT', identifier: 'MIT' },
          contact: { name: 'Bucketlist API maintainers', email: 'api@bucketlist.example' },
        },
        // Relative: the document describes whichever host serves it.
        servers: [{ url: '/', description: 'This server' }],
        tags: [
          { name: 'auth', description: 'Accounts, sessions and tokens' },
          { name: 'users', description: 'The signed-in user' },
          { name: 'bucketlists', description: "The caller's bucketlists, and those shared with the caller" },
          { name: 'items', description: 'The items of a bucketlist' },
          { name: 'exports', description: "Exports of all the caller's data, written by a background job" },
          { name: 'members', description: 'The users a bucketlist is shared with' },
          { name: 'admin', description: 'Account administration (admins only)' },
          { name: 'operations', description: 'Health and readiness probes' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
          parameters: { ApiVersion: API_VERSION_PARAMETER },
        },
      },
      transformObject: servedDocument,
      // Components are named after the schemas' $id (Problem, Bucketlist, …), not def-0, def-1.
      refResolver: { buildLocalReference: componentName },
    });

    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // Swagger UI's CSP asks browsers to upgrade every asset to https, which breaks the page when
      // it is served over plain HTTP (a container on a LAN address); TLS is the proxy's concern.
      transformStaticCSP: (header) =>
        header
          .split(';')
          .filter((directive) => directive.trim() !== 'upgrade-insecure-requests')
          .join(';'),
      // BaseLayout: no top bar, whose "Explore" box loads other documents and whose logo carries an
      // inline <style> that the page's CSP (rightly) blocks.
      uiConfig: { deepLinking: true, persistAuthorization: false, tryItOutEnabled: false, layout: 'BaseLayout' },
    });

    const hidden = { schema: { hide: true } };
    app.get('/openapi.json', hidden, async () => app.swagger());
    app.get('/openapi.yaml', hidden, async (_request, reply) =>
      reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
    );
    app.get('/', hidden, async (_request, reply) => reply.redirect('/docs', 302));
  },
  { name: 'openapi', fastify: '5.x' },
);
