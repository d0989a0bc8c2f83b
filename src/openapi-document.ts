/**
 * Renders the OpenAPI document exactly as the running app serves it, without a database server:
 * the app is built on a throwaway in-memory PGlite, which the document never touches.
 */
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { startPGlite, wrapEmbedded } from './db/embedded.js';

export async function renderOpenApiDocument(): Promise<string> {
  const database = wrapEmbedded(await startPGlite());
  const { config } = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await buildApp(config, { database, logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
