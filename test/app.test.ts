import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { testConfig } from './helper.js';

t.test('with no overrides the app opens and migrates its own embedded database, and closes it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bucketlist-app-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // The production path: the logger and load-shedding options come from the configuration.
  const app = await buildApp(testConfig({ DATA_DIR: dataDir }));
  t.teardown(() => app.close());
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  const registered = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { email: 'own-database@example.com', password: 'a long enough password', name: 'Own' },
  });
  t.equal(registered.statusCode, 201, 'the migrated tables take writes');
});
