/** tap's `before` script: builds the migrated template database once for the whole run. */
import { prepareTemplate } from './databases.js';

await prepareTemplate();
