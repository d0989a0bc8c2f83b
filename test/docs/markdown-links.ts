/**
 * The links of a Markdown file, and what is wrong with them. The repository must stand on its
 * own: a relative link must name a file inside it that exists (and a heading of it, for a
 * `#fragment` into Markdown), and an absolute URL may only name a host reserved for examples
 * (RFC 2606 and RFC 6761: example.com/.net/.org, *.example, *.test, *.invalid, localhost and the
 * loopback addresses), which is where the docs' curl and SDK examples point.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { marked, type Token, type Tokens } from 'marked';

export interface LinkProblem {
  file: string;
  href: string;
  reason: string;
}

const EXAMPLE_HOSTS =
  /^(localhost|127\.0\.0\.1|\[::1\]|(.+\.)?example\.(com|net|org)|.+\.(example|test|invalid|localhost))$/i;

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slugOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The plain text of a heading's inline tokens (code spans and links by their text). */
function plainText(tokens: Token[] | undefined): string {
  return (tokens ?? [])
    .map((token) => ('tokens' in token && token.tokens ? plainText(token.tokens) : 'text' in token ? token.text : ''))
    .join('');
}

/** The anchors of a Markdown text's headings, with GitHub's -1, -2 suffixes for repeats. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const token of marked.lexer(markdown)) {
    if (token.type !== 'heading') continue;
    const slug = slugOf(plainText((token as Tokens.Heading).tokens));
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every link and image target of a Markdown text, once each (code spans and blocks are text, not links). */
export function linksOf(markdown: string): string[] {
  const tokens = marked.lexer(markdown);
  const hrefs = Object.values(tokens.links).map((definition) => definition.href);
  marked.walkTokens(tokens, (token) => {
    if (token.type === 'link' || token.type === 'image') hrefs.push((token as Tokens.Link).href);
  });
  return [...new Set(hrefs)];
}

function checkUrl(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `uses ${url.protocol}, which leaves the repository`;
  if (!EXAMPLE_HOSTS.test(url.hostname)) return `points outside the repository (${url.hostname})`;
  return undefined;
}

function checkRelative(root: string, file: string, href: string): string | undefined {
  const [rawPath = '', fragment] = href.split('#', 2);
  const path = decodeURIComponent(rawPath.split('?')[0] ?? '');
  if (isAbsolute(path)) return 'is an absolute path; link relative to the file';
  const target = path === '' ? file : resolve(dirname(file), path);
  const inRepo = relative(root, target);
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) return 'leaves the repository';
  if (!existsSync(target)) return `names ${inRepo}, which does not exist`;
  if (fragment === undefined || !target.endsWith('.md') || statSync(target).isDirectory()) return undefined;
  if (!anchorsOf(readFileSync(target, 'utf8')).has(fragment)) return `names #${fragment}, no heading of ${inRepo}`;
  return undefined;
}

/** What is wrong with the links of one Markdown file of the repository at `root`. */
export function checkLinks(root: string, file: string): LinkProblem[] {
  const markdown = readFileSync(file, 'utf8');
  const shown = relative(root, file);
  const problems: LinkProblem[] = [];
  for (const href of linksOf(markdown)) {
    const reason = /^[a-z][a-z0-9+.-]*:/i.test(href) ? checkUrl(href) : checkRelative(root, file, href);
    if (reason) problems.push({ file: shown, href, reason });
  }
  return problems;
}
