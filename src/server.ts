/** The process shell: read the configuration, build the app, listen, and shut down cleanly. */
import { existsSync } from 'node:fs';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

if (existsSync('.env')) process.loadEnvFile('.env');

/** A configuration problem (or a data folder another process holds): one line, then exit 1. */
function exitWith(error: ConfigError): never {
  console.error(`bucketlist-api: ${error.message}`);
  process.exit(1);
}

let loaded: ReturnType<typeof loadConfig>;
try {
  loaded = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  exitWith(error);
}

const app = await buildApp(loaded.config).catch((error: unknown) => {
  if (error instanceof ConfigError) exitWith(error);
  throw error;
});
for (const warning of loaded.warnings) app.log.warn(warning);

// On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database, exit.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ host: loaded.config.host, port: loaded.config.port });
