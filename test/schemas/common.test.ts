/** The shared schema helpers: named references and the Problem responses every route declares. */
import { Type } from '@sinclair/typebox';
import t from 'tap';
import { problems, ref } from '../../src/schemas/common.js';

t.test('ref() points at a named schema by its $id', async (t) => {
  t.match(ref(Type.String({ $id: 'Name' })), { $ref: 'Name' });
});

t.test('ref() refuses a schema without an $id, which the document could not name', async (t) => {
  t.throws(() => ref(Type.String()), { message: 'ref() needs a schema with an $id' });
});

t.test('a Problem response is described by its status text, or as an error for a status without one', async (t) => {
  const responses = problems(404, 599) as unknown as Record<number, { description: string; content: object }>;
  t.equal(responses[404]?.description, 'Not Found');
  t.equal(responses[599]?.description, 'Error');
  t.match(responses[404]?.content, { 'application/problem+json': { schema: { $ref: 'Problem' } } });
});
