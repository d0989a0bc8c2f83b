/**
 * Prints where a CPU profile spent its time: `npm run bench:profile -- file.cpuprofile [top]`.
 * The bench runs it on its `node --cpu-prof` run of GET /v1/bucketlists/:id. Frames of the bundle
 * (dist/) are traced through its source maps to the package they came from.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type CpuProfile, renderProfileText, sourceMapResolver, summariseProfile } from './lib/profile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  console.error('usage: npm run bench:profile -- <file.cpuprofile> [top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
console.log(
  renderProfileText(
    summariseProfile(profile, basename(file), { top: top ? Number(top) : 25, resolveSource: sourceMapResolver() }),
  ),
);
