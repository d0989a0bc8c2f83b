import t from 'tap';
import { productionNodeFlags, startFlags } from '../../bench/lib/start-command.js';
import { repoRoot } from '../production/server-process.js';

t.test('the flags of a start script, in order', async (t) => {
  t.same(startFlags('node dist/server.js'), []);
  t.same(startFlags('node --max-old-space-size=512 dist/server.js'), ['--max-old-space-size=512']);
  t.same(startFlags('node --enable-source-maps --max-old-space-size=512 dist/server.js'), [
    '--enable-source-maps',
    '--max-old-space-size=512',
  ]);
});

t.test('any other command is refused, not guessed at', async (t) => {
  for (const script of [
    'npm run build && node dist/server.js',
    'node dist/cluster.js',
    'node --max-old-space-size=512 dist/server.js --port 3000',
    'NODE_OPTIONS=--inspect node dist/server.js',
    'tsx src/server.ts',
  ]) {
    t.throws(() => startFlags(script), /the start script should be/, script);
  }
});

t.test("this repository's start script sets the heap sizes the README documents", async (t) => {
  t.same(productionNodeFlags(repoRoot), ['--max-old-space-size=512', '--max-semi-space-size=8']);
});
