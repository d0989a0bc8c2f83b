import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { renderOpenApiDocument } from '../src/openapi-document.js';
import { build } from './helper.js';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; schema: { type?: string; minimum?: number; maximum?: number } }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { additionalProperties?: boolean }>; securitySchemes: Record<string, unknown> };
}

const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
const document = JSON.parse(committed) as Document;
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);
const PUBLIC_OPERATIONS = new Set(['register', 'login', 'refreshTokens', 'getHealth', 'getReadiness']);

t.test('the committed openapi/openapi.json is exactly what the code emits (run `npm run openapi`)', async (t) => {
  t.equal(await renderOpenApiDocument(), committed);
});

t.test('the document is OpenAPI 3.1 with named components', async (t) => {
  t.equal(document.openapi, '3.1.0');
  for (const name of ['User', 'Tokens', 'Bucketlist', 'Item', 'Problem', 'BucketlistPage', 'ItemPage']) {
    t.ok(document.components.schemas[name], `components.schemas.${name}`);
  }
  t.notOk(
    Object.keys(document.components.schemas).some((name) => /^def-\d+$/.test(name)),
    'no anonymous def-N components',
  );
  t.same(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
});

t.test('every operation has a unique camelCase operationId, a summary and a tag', async (t) => {
  const ids = operations.map(({ operation }) => operation.operationId);
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  for (const { path, method, operation } of operations) {
    t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${method} ${path} operationId`);
    t.ok(operation.summary, `${method} ${path} summary`);
    t.ok(operation.tags?.length, `${method} ${path} tag`);
  }
});

t.test('every protected operation declares bearer security and a 401 Problem', async (t) => {
  for (const { path, method, operation } of operations) {
    if (PUBLIC_OPERATIONS.has(operation.operationId ?? '')) continue;
    t.same(operation.security, [{ bearerAuth: [] }], `${method} ${path} security`);
    t.ok(operation.responses['401'], `${method} ${path} declares 401`);
  }
});

t.test('every error response is the shared Problem as application/problem+json', async (t) => {
  for (const { path, method, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      const schema =
        response.content?.['application/problem+json']?.schema ?? response.content?.['application/json']?.schema;
      t.equal(schema?.$ref, '#/components/schemas/Problem', `${method} ${path} ${status}`);
    }
  }
});

t.test('request bodies forbid unknown fields and path ids are 32-bit positive integers', async (t) => {
  for (const { path, method, operation } of operations) {
    const ref = operation.requestBody?.content['application/json']?.schema.$ref;
    if (ref) {
      const name = ref.replace('#/components/schemas/', '');
      t.equal(document.components.schemas[name]?.additionalProperties, false, `${method} ${path} body ${name}`);
    }
    for (const parameter of operation.parameters ?? []) {
      if (parameter.in !== 'path') continue;
      t.match(
        parameter.schema,
        { type: 'integer', minimum: 1, maximum: 2147483647 },
        `${method} ${path} ${parameter.name}`,
      );
    }
  }
});

t.test('the served documents and docs page', async (t) => {
  const app = await build(t);

  t.test('GET /openapi.json serves the committed document', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    t.equal(response.statusCode, 200);
    t.match(response.headers['content-type'], /^application\/json/);
    t.same(response.json(), document);
  });

  t.test('GET /openapi.yaml serves the same document as YAML', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/openapi.yaml' });
    t.equal(response.statusCode, 200);
    t.match(response.headers['content-type'], /^application\/yaml/);
    t.same(parse(response.body), document);
  });

  t.test('GET / redirects (302) to /docs', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/' });
    t.equal(response.statusCode, 302);
    t.equal(response.headers.location, '/docs');
  });

  t.test('GET /docs serves the Swagger UI page', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/docs' });
    t.equal(response.statusCode, 200);
    t.match(response.headers['content-type'], /^text\/html/);
    t.match(response.body, /swagger-ui/);
  });
});
