/** JSON bodies (src/plugins/json-body.ts): UTF-8 only, no content coding, parsed as Fastify does. */
import t from 'tap';
import { build, createBucketlist, expectProblem, signUp } from '../helper.js';

const app = await build(t);
const owner = await signUp(app);

/** POST /v1/bucketlists with raw body bytes and extra headers. */
const create = (
  payload: Buffer | string,
  headers: Record<string, string> = {},
  auth: Record<string, string> = owner.headers,
) =>
  app.inject({
    method: 'POST',
    url: '/v1/bucketlists',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    payload,
  });

const names = async () =>
  (await app.inject({ method: 'GET', url: '/v1/bucketlists?page_size=100', headers: owner.headers }))
    .json<{ items: { name: string }[] }>()
    .items.map((bucketlist) => bucketlist.name);

t.test('a body that is not valid UTF-8 is a 400 and stores nothing', async (t) => {
  const before = await names();
  for (const bytes of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
    const payload = Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]);
    const problem = expectProblem(t, await create(payload), 400, 'validation_error');
    t.equal(problem.detail, 'The body is not valid UTF-8.');
  }
  t.strictSame(await names(), before, 'no bucketlist was created');
});

t.test('valid UTF-8 beyond ASCII is stored as sent', async (t) => {
  const name = 'Déjà vu 東京 🎉';
  const response = await create(Buffer.from(JSON.stringify({ name }), 'utf8'));
  t.equal(response.statusCode, 201);
  t.equal(response.json<{ name: string }>().name, name);
});

t.test('a charset other than UTF-8 is a 415; UTF-8 in any spelling is read', async (t) => {
  for (const charset of ['iso-8859-1', 'utf-16le', 'UTF-16', '"latin1"', '']) {
    const response = await create('{"name":"Elsewhere"}', { 'content-type': `application/json; charset=${charset}` });
    const problem = expectProblem(t, response, 415, 'unsupported_media_type');
    t.match(problem.detail, /must be UTF-8/, charset);
  }
  for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8']) {
    const response = await create('{"name":"Here"}', { 'content-type': `application/json; charset=${charset}` });
    t.equal(response.statusCode, 201, charset);
  }
});

t.test('a body with a content coding is a 415; identity is no coding', async (t) => {
  for (const coding of ['gzip', 'br', 'deflate']) {
    const problem = expectProblem(
      t,
      await create('{"name":"x"}', { 'content-encoding': coding }),
      415,
      'unsupported_media_type',
    );
    t.match(problem.detail, new RegExp(`Content-Encoding ${coding}`));
  }
  t.equal((await create('{"name":"Plain"}', { 'content-encoding': 'identity' })).statusCode, 201);
});

t.test("Fastify's parsing rules still hold: a leading BOM is ignored, prototype poisoning is refused", async (t) => {
  t.equal((await create('\ufeff{"name":"With a BOM"}')).statusCode, 201);
  expectProblem(t, await create('{"name":"x","__proto__":{"polluted":true}}'), 400, 'validation_error');
  expectProblem(t, await create('{"name":"x","constructor":{"prototype":{"polluted":true}}}'), 400, 'validation_error');
  expectProblem(t, await create('{"name":'), 400, 'validation_error');
  t.equal(({} as { polluted?: boolean }).polluted, undefined);
});

t.test('authentication is still checked first', async (t) => {
  const invalid = Buffer.from([0x7b, 0xff, 0x7d]);
  expectProblem(t, await create(invalid, {}, { authorization: 'Bearer nonsense' }), 401, 'unauthorized');
  expectProblem(t, await create('{}', { 'content-encoding': 'gzip' }, {}), 401, 'unauthorized');
  t.equal((await createBucketlist(app, owner.headers)).name, 'Travel', 'the owner can still write');
});
