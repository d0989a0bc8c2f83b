/**
 * The repository stands on its own: no Markdown file links outside it, to a missing file or to a
 * missing heading, and absolute URLs name only hosts reserved for examples.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import t from 'tap';
import { repoRoot } from '../production/server-process.js';
import { anchorsOf, checkLinks, linksOf, slugOf } from './markdown-links.js';

/** The repository's Markdown files: tracked ones, and new ones git does not ignore. */
const markdownFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean)
  .map((file) => join(repoRoot, file));

t.test('every Markdown file of the repository links only inside it, to files and headings that exist', async (t) => {
  t.ok(markdownFiles.length >= 4, `${markdownFiles.length} Markdown files`);
  for (const file of markdownFiles) {
    t.same(checkLinks(repoRoot, file), [], relative(repoRoot, file));
  }
});

t.test('no Markdown file names a path outside the repository, even in code', async (t) => {
  for (const file of markdownFiles) {
    t.notMatch(readFileSync(file, 'utf8'), /\.\.\/shared\/|\/work\//, relative(repoRoot, file));
  }
});

t.test('the README links to the API guide, and the guide exists', async (t) => {
  t.ok(linksOf(readFileSync(join(repoRoot, 'README.md'), 'utf8')).includes('docs/api.md'));
  t.same(checkLinks(repoRoot, join(repoRoot, 'docs/api.md')), []);
});

t.test('the checker finds each kind of bad link', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'links-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    'docs/guide.md',
    '# Guide\n\n## Lists: pagination, search\n\n## `POST /v1/x`\n\n## Lists: pagination, search\n',
  );
  write('docs/shot.png', '');
  write(
    'README.md',
    [
      '[ok](docs/guide.md) [ok](docs/guide.md#lists-pagination-search) [ok](docs/guide.md#lists-pagination-search-1)',
      '[ok](#readme) ![ok](docs/shot.png) <http://127.0.0.1:3000/docs> [ok](https://api.example.com/openapi.json)',
      '`[code](../outside.md)` and a block:',
      '',
      '```',
      '[code](https://github.com)',
      '```',
      '',
      '# Readme',
      '',
      '[bad](../shared/CONTRACT.md) [bad](docs/missing.md) [bad](docs/guide.md#nope) [bad](/etc/passwd)',
      '[bad](https://github.com/x/y) https://npmjs.com [bad](mailto:someone@example.com) [ref][r]',
      '',
      '[r]: ../../elsewhere.md',
    ].join('\n'),
  );
  const problems = checkLinks(root, join(root, 'README.md'));
  t.same(
    problems.map((problem) => [problem.href, problem.reason]),
    [
      ['../../elsewhere.md', 'leaves the repository'],
      ['../shared/CONTRACT.md', 'leaves the repository'],
      ['docs/missing.md', 'names docs/missing.md, which does not exist'],
      ['docs/guide.md#nope', 'names #nope, no heading of docs/guide.md'],
      ['/etc/passwd', 'is an absolute path; link relative to the file'],
      ['https://github.com/x/y', 'points outside the repository (github.com)'],
      ['https://npmjs.com', 'points outside the repository (npmjs.com)'],
      ['mailto:someone@example.com', 'uses mailto:, which leaves the repository'],
    ],
  );
  t.ok(problems.every((problem) => problem.file === 'README.md'));
});

t.test('anchors are GitHub heading slugs', async (t) => {
  t.equal(slugOf('Lists: pagination, search, sort, filter'), 'lists-pagination-search-sort-filter');
  t.equal(slugOf('The embedded database: what it guarantees'), 'the-embedded-database-what-it-guarantees');
  t.same([...anchorsOf('# A\n\n## `GET /v1/x` (beta)\n\n# A\n')], ['a', 'get-v1x-beta', 'a-1']);
});
