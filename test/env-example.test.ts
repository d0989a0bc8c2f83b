import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import t from 'tap';
import { EnvSchema, loadConfig } from '../src/config.js';

const example = parseEnv(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'));

t.test('.env.example copied to .env changes nothing: its values are the defaults', async (t) => {
  t.same(loadConfig(example), loadConfig({}));
});

t.test('.env.example documents every variable the configuration reads', async (t) => {
  t.same(Object.keys(example).sort(), Object.keys(EnvSchema.properties).sort());
});

t.test('the README documents every variable the configuration reads', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const name of Object.keys(EnvSchema.properties)) t.match(readme, `| \`${name}\` |`, name);
});
