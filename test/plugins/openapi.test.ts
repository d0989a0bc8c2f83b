/** The OpenAPI plugin's document transforms: the shared Api-Version parameter and component names. */
import t from 'tap';
import { componentName, servedDocument, withApiVersionParameter } from '../../src/plugins/openapi.js';

const API_VERSION_REF = { $ref: '#/components/parameters/ApiVersion' };

t.test('each /v1 operation gets the Api-Version parameter after its own, one without any gets it alone', async (t) => {
  const document = withApiVersionParameter({
    paths: {
      '/v1/bucketlists': {
        get: { parameters: [{ name: 'page', in: 'query' }] },
        post: {},
      },
    },
  });
  t.same(document.paths['/v1/bucketlists'].get.parameters, [{ name: 'page', in: 'query' }, API_VERSION_REF]);
  t.same(document.paths['/v1/bucketlists'].post, { parameters: [API_VERSION_REF] });
});

t.test('operations outside /v1 (the probes) take no Api-Version parameter', async (t) => {
  const document = withApiVersionParameter({ paths: { '/healthz': { get: {} }, '/v1': { get: {} } } });
  t.same(document.paths, { '/healthz': { get: {} }, '/v1': { get: {} } });
});

t.test('a document without paths is served as it is', async (t) => {
  const withoutPaths: { openapi: string; paths?: object } = { openapi: '3.1.0' };
  t.same(withApiVersionParameter(withoutPaths), { openapi: '3.1.0' });
});

t.test('the served OpenAPI document has the parameters; a Swagger 2.0 document is left alone', async (t) => {
  const paths = () => ({ '/v1/users/me': { get: { responses: {} } } });
  t.same(servedDocument({ openapiObject: { openapi: '3.1.0', paths: paths() } }), {
    openapi: '3.1.0',
    paths: { '/v1/users/me': { get: { responses: {}, parameters: [API_VERSION_REF] } } },
  });
  t.same(servedDocument({ swaggerObject: { swagger: '2.0', paths: paths() } }), { swagger: '2.0', paths: paths() });
});

t.test("a component is named after its schema's $id, or def-N for a schema without one", async (t) => {
  t.equal(componentName({ $id: 'Problem', type: 'object' }, {}, '', 0), 'Problem');
  t.equal(componentName({ type: 'object' }, {}, '', 3), 'def-3');
});
