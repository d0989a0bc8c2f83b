/** The process shell: read the configuration, build the app, listen, and shut down cleanly. */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { exitOnConfigError, loadConfigOrExit } from './config.js';

const loaded = loadConfigOrExit('bucketlist-api');

const app = await buildApp(loaded.config).catch((error: unknown) => exitOnConfigError('bucketlist-api', error));
for (const warning of loaded.warnings) app.log.warn(warning);

// On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database, exit.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ host: loaded.config.host, port: loaded.config.port });
