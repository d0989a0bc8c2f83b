/**
 * Request validation and response serialization: registers the named schemas once, and compiles
 * route schemas with two Ajv instances. Bodies are never coerced (`"done": "true"` is a 400) and
 * unknown fields are rejected, not stripped; path and query strings are coerced, since they
 * arrive as text. Response serializers are compiled once per distinct schema.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type Options } from 'ajv';
import formatsPlugin from 'ajv-formats';
import fp from 'fastify-plugin';
import { sharedSchemas } from '../schemas/index.js';

function createAjv(options: Options) {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    // Errors carry the failing value, so the error renderer can say which text rule it broke.
    verbose: true,
    // The schemas are TypeBox's and the OpenAPI lint checks them; checking them against the JSON
    // Schema meta-schema meant compiling it in both instances, a tenth of a cold start's CPU.
    validateSchema: false,
    ...options,
  });
  formatsPlugin.default(ajv);
  for (const schema of sharedSchemas) ajv.addSchema(schema as TSchema & { $id: string });
  return ajv;
}

export default fp(
  async function validation(app) {
    for (const schema of sharedSchemas) app.addSchema(schema);
    const bodyAjv = createAjv({ coerceTypes: false });
    const textAjv = createAjv({ coerceTypes: true });
    app.setValidatorCompiler(({ schema, httpPart }) =>
      (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as TSchema),
    );

    // Fastify compiles a serializer for every status of every route, and most of them are the same
    // problem schema: compiling each distinct schema once took a fifth off the CPU of a cold start.
    const compileSerializer = SerializerSelector()(
      Object.fromEntries(sharedSchemas.map((schema) => [schema.$id, schema])),
      {},
    );
    const serializers = new Map<string, ReturnType<typeof compileSerializer>>();
    app.setSerializerCompiler(({ schema, method, url }) => {
      const key = JSON.stringify(schema);
      let serializer = serializers.get(key);
      if (!serializer) {
        // The status only names the route in compile errors; the schema alone decides the output.
        serializer = compileSerializer({ schema, method, url, httpStatus: 'any' });
        serializers.set(key, serializer);
      }
      return serializer;
    });
  },
  { name: 'validation', fastify: '5.x' },
);
