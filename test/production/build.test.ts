/**
 * The production build, as the Dockerfile makes it (no Docker engine needed): the files the image
 * gets are copied to a scratch folder, `npm run build` compiles them, and `node dist/server.js`
 * must start there, find its migrations and answer the probes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { startFlags } from '../../bench/lib/start-command.js';
import { exitOf, repoRoot, serverDatabase, startServer } from './server-process.js';

// Longer than tap's default per file: compiling the whole project, on a busy machine.
t.setTimeout(300_000);

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

/** What the build stage copies into the image (the Dockerfile's COPY lines, checked below). */
const BUILD_CONTEXT = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'drizzle',
];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).map((name) => join(folder, name));
}

/** A bundle file and the chunks it imports statically, transitively: what loads with it. */
function staticClosure(dist: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(join(dist, file), 'utf8');
    for (const match of source.matchAll(/^import\s(?:[^'"]*?\sfrom\s)?["']\.\/([^'"]+)["']/gm))
      visit(match[1] as string);
  };
  visit(entry);
  return [...seen];
}

/** The packages a bundle file and the chunks it imports statically load: what a start costs. */
function packagesAtStart(dist: string, entry: string): string[] {
  const packages = new Set<string>();
  for (const file of staticClosure(dist, entry)) {
    for (const name of importedPackages(readFileSync(join(dist, file), 'utf8'))) {
      if (!builtinModules.includes(name)) packages.add(name);
    }
  }
  return [...packages].sort();
}

/** Bare package names a compiled module imports (static, dynamic and re-exports). */
function importedPackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] as string);
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

t.test("the Dockerfile builds with npm run build and runs npm start's command as a non-root user", async (t) => {
  t.match(dockerfile, /^FROM node:20-slim AS build$/m);
  t.match(dockerfile, /^RUN npm ci\b/m);
  t.match(dockerfile, /^RUN npm run build$/m);
  t.match(dockerfile, /^RUN npm ci --omit=dev\b/m);
  t.match(dockerfile, /^COPY --from=build \/app\/dist \.\/dist$/m);
  t.match(dockerfile, /^COPY drizzle \.\/drizzle$/m);
  t.match(dockerfile, /^USER node$/m);
  t.match(dockerfile, /HOST=0\.0\.0\.0/);
  t.match(dockerfile, /^EXPOSE 3000$/m);
  const flags = startFlags(packageJson.scripts.start ?? '');
  const command = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  t.same(JSON.parse(command ?? 'null'), ['node', ...flags, 'dist/server.js'], "CMD runs npm start's command");
  for (const path of BUILD_CONTEXT) {
    const copied = new RegExp(`^COPY (?!--from)(?:\\S+ )*${path.replace('.', '\\.')}(?: \\S+)* \\S+$`, 'm');
    t.match(dockerfile, copied, `the image gets ${path}`);
  }
  t.ok(flags.includes('--max-old-space-size=512'), 'with the heap limit the README documents');
  t.ok(flags.includes('--max-semi-space-size=8'), 'and the young generation the README documents');
  t.equal(
    packageJson.scripts['start:cluster'],
    `node ${flags.join(' ')} dist/cluster.js`,
    'start:cluster: the same flags',
  );
});

t.test('npm run build, then node dist/server.js from a copy of the image files', async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'bucketlist-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  for (const path of BUILD_CONTEXT) cpSync(join(repoRoot, path), join(app, path), { recursive: true });
  // Stands in for `npm ci`, which would download the same locked packages.
  symlinkSync(join(repoRoot, 'node_modules'), join(app, 'node_modules'), 'dir');

  const build = spawnSync('npm', ['run', 'build'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
  t.equal(build.status, 0, `npm run build succeeds${build.status === 0 ? '' : `:\n${build.stdout}${build.stderr}`}`);
  if (build.status !== 0) return;
  t.ok(existsSync(join(app, 'dist/server.js')), 'dist/server.js');
  t.ok(existsSync(join(app, 'dist/scripts/migrate.js')), "dist/scripts/migrate.js, the image's db:migrate");
  t.ok(existsSync(join(app, 'dist/scripts/promote-user.js')), "dist/scripts/promote-user.js, the image's user:promote");

  t.test('the compiled promote script runs from the image files', async (t) => {
    const run = spawnSync(process.execPath, ['dist/scripts/promote-user.js'], {
      cwd: app,
      // No coverage from the child: the bundle's maps point at src/ too (see server-process.ts).
      env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.equal(run.status, 2, 'without an email it prints its usage');
    t.match(run.stderr, /usage: npm run user:promote -- EMAIL/);
  });

  t.test('the compiled migrations module finds drizzle/ next to dist/', async (t) => {
    const migrate = (await import(join(app, 'dist/db/migrate.js'))) as { migrationsFolder: string };
    t.equal(migrate.migrationsFolder, join(app, 'drizzle'));
    t.ok(existsSync(join(migrate.migrationsFolder, 'meta/_journal.json')), 'the journal is there');
  });

  t.test('compiled code imports only production dependencies', async (t) => {
    const allowed = new Set([...Object.keys(packageJson.dependencies), ...builtinModules]);
    const dist = join(app, 'dist');
    for (const file of filesUnder(dist).filter((name) => name.endsWith('.js'))) {
      for (const name of importedPackages(readFileSync(file, 'utf8'))) {
        t.ok(allowed.has(name), `${relative(dist, file)} imports ${name}, a production dependency`);
      }
    }
  });

  t.test('the entry points are bundles: at start they load only the packages that must stay on disk', async (t) => {
    // Resolving and compiling hundreds of modules one by one would dominate a cold start.
    const dist = join(app, 'dist');
    t.same(packagesAtStart(dist, 'server.js'), ['@fastify/swagger-ui', '@node-rs/argon2', 'pino'], 'server.js');
    t.same(packagesAtStart(dist, 'cluster.js'), [], 'cluster.js (its workers load server.js)');
  });

  t.test('PGlite loads only with the embedded database: from a chunk that server.js imports on demand', async (t) => {
    const dist = join(app, 'dist');
    // The bundle's files sit at the top of dist/ (tsc's own output, beside them, imports no PGlite there).
    const loading = readdirSync(dist).filter(
      (file) =>
        file.endsWith('.js') &&
        importedPackages(readFileSync(join(dist, file), 'utf8')).includes('@electric-sql/pglite'),
    );
    t.equal(loading.length, 1, `one file of the bundle loads PGlite: ${loading.join(', ')}`);
    const chunk = loading[0] ?? '';
    t.match(chunk, /^embedded-\w+\.js$/);
    // Imported on demand (by server.js, or by the chunk it shares with the worker's entry point), never statically.
    const importers = readdirSync(dist).filter(
      (file) => file.endsWith('.js') && readFileSync(join(dist, file), 'utf8').includes(`import("./${chunk}")`),
    );
    t.ok(importers.length > 0, `imported on demand by ${importers.join(', ')}`);
    t.ok(
      importers.every((file) => file === 'server.js' || file.startsWith('chunk-')),
      'only by the server or a shared chunk',
    );
    t.notOk(
      readdirSync(dist).some(
        (file) => file.endsWith('.js') && readFileSync(join(dist, file), 'utf8').includes(`from "./${chunk}"`),
      ),
      'never statically',
    );
  });

  t.test('OpenTelemetry loads only with tracing on: from chunks the entry points import on demand', async (t) => {
    const dist = join(app, 'dist');
    const holdsSdk = (file: string) => readFileSync(join(dist, file), 'utf8').includes('OTLPTraceExporter');
    for (const [entry, onDemand] of [
      ['server.js', 'tracing'],
      ['worker.js', 'tracer'],
    ] as const) {
      t.notOk(staticClosure(dist, entry).some(holdsSdk), `${entry} and what it imports statically hold none of it`);
      const source = readFileSync(join(dist, entry), 'utf8');
      const chunk = new RegExp(`import\\("\\./(${onDemand}-\\w+\\.js)"\\)`).exec(source)?.[1];
      t.ok(chunk, `${entry} imports ${onDemand}-*.js on demand`);
      if (chunk) t.ok(staticClosure(dist, chunk).some(holdsSdk), `the SDK comes with ${chunk}`);
    }
  });

  t.test('it starts in production mode, migrates, answers the probes and stops on SIGTERM', async (t) => {
    const server = await startServer(t, {
      args: [...startFlags(packageJson.scripts.start ?? ''), join(app, 'dist/server.js')],
      env: await serverDatabase(t),
    });
    const health = await fetch(`${server.url}/healthz`);
    t.equal(health.status, 200);
    t.same(await health.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    t.equal(ready.status, 200, 'the database answers: migrations were found and applied');
    const docs = await fetch(`${server.url}/docs`);
    t.equal(docs.status, 200, 'the docs page and its assets ship in production dependencies');
    const register = await fetch(`${server.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'prod@example.com', password: 'correct horse battery staple', name: 'Prod' }),
    });
    t.equal(register.status, 201, 'a write works (argon2 native binding, tables exist)');

    server.child.kill('SIGTERM');
    t.equal(await exitOf(server, 20_000), 0, 'exit code 0');
    const lines = server.output().trim().split('\n');
    for (const line of lines) {
      t.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line.slice(0, 60)}`);
    }
  });
});
