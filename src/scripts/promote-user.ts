/**
 * `npm run user:promote -- EMAIL` (in the image: `node dist/scripts/promote-user.js EMAIL`): makes
 * the account of this email an admin. The only way to make an admin: the API never grants the role.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { createUserRepository } from '../repositories/users.js';

if (existsSync('.env')) process.loadEnvFile('.env');
const email = process.argv[2]?.trim().toLowerCase();
if (!email) {
  console.error('usage: npm run user:promote -- EMAIL');
  process.exit(2);
}
try {
  const { config } = loadConfig();
  const handle = await openDatabase(config.database, { migrate: true });
  try {
    const user = await createUserRepository(handle.db).promote(email);
    if (!user) {
      console.error(`user:promote: no account has the email ${email}`);
      process.exitCode = 1;
    } else {
      console.log(`${user.email} (id ${user.id}) is an admin`);
    }
  } finally {
    await handle.close();
  }
} catch (error) {
  console.error(`user:promote: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}
