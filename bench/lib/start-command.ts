/**
 * The Node flags the server runs with in production: those of package.json's `start` script
 * (`node [--flag …] dist/server.js`), which the Dockerfile's CMD and `start:cluster` repeat
 * (test/production/build.test.ts checks that). The bench starts every API process with them, so
 * that it measures the server as deployed: the heap limit, for one, changes when V8 collects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const START_SCRIPT = /^node((?: --[a-z][a-z0-9-]*(?:=[^\s"']+)?)*) dist\/server\.js$/;

/** The flags of a `start` script; fails on any other shape of command, rather than guess. */
export function startFlags(startScript: string): string[] {
  const match = START_SCRIPT.exec(startScript);
  if (!match) {
    throw new Error(`the start script should be "node [--flag …] dist/server.js", not ${JSON.stringify(startScript)}`);
  }
  // Group 1 always takes part in a match (empty when there are no flags).
  return (match[1] as string).split(' ').filter((flag) => flag !== '');
}

/** The flags of the `start` script in the package.json of `repo`. */
export function productionNodeFlags(repo: string): string[] {
  const packageJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return startFlags(packageJson.scripts.start);
}
