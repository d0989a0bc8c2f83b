/**
 * The docs page in a real browser (headless Chromium through playwright-core): it renders under
 * its CSP and lists every tag and operation of the document; with "Try it out" a newcomer registers
 * and logs in, "Authorize" takes the access token, and the page shows the API's answers to
 * GET /v1/users/me, a new bucketlist (POST /v1/bucketlists) and the list (GET /v1/bucketlists).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Locator } from 'playwright-core';
import t from 'tap';
import { build } from '../helper.js';
import { repoRoot } from './server-process.js';

// Longer than tap's default per file: a browser start, on a busy machine.
t.setTimeout(180_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = join(repoRoot, '.tap/screenshots');
// The page as a newcomer first sees it; docs/docs-page.png in the README is a copy of one.
const OVERVIEW = join(SCREENSHOTS, 'docs-overview.png');
const SCREENSHOT = join(SCREENSHOTS, 'docs.png');

interface Document {
  tags: { name: string }[];
  paths: Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>>;
}

const missing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run this test`;

t.test('the Swagger UI at /docs works in headless Chromium', { skip: missing }, async (t) => {
  const app = await build(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' }).then((r) => r.json())) as Document;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));

  const response = await page.goto(`${origin}/docs`);
  t.equal(response?.status(), 200, 'GET /docs');
  await page.locator('.opblock').first().waitFor();
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: OVERVIEW });

  await t.test('every tag and every operation of the document is listed', async (t) => {
    for (const tag of document.tags) {
      t.equal(await page.locator(`.opblock-tag[data-tag="${tag.name}"]`).count(), 1, `tag ${tag.name}`);
    }
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    t.equal(await page.locator('.opblock').count(), operations.length, `${operations.length} operations`);
    for (const operation of operations) {
      // With deepLinking, each operation block's id is operations-<tag>-<operationId>.
      const block = page.locator(`#operations-${operation.tags[0]}-${operation.operationId}`);
      t.equal(await block.count(), 1, `${operation.operationId} is listed`);
      t.equal(
        (await block.locator('.opblock-summary-description').textContent())?.trim(),
        operation.summary,
        `${operation.operationId} shows its summary`,
      );
    }
  });

  /** Try it out on one operation: fill the body (if any), Execute, and read what the page shows. */
  async function tryItOut(block: Locator, path: string, body?: string) {
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    if (body !== undefined) await block.locator('textarea.body-param__text').fill(body);
    const answered = page.waitForResponse((reply) => new URL(reply.url()).pathname === path);
    await block.locator('button.execute').click();
    const reply = await answered;
    const status = block.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    const shownBody = await block.locator('.live-responses-table .response-col_description pre').first().textContent();
    return { reply, shownStatus: (await status.textContent())?.trim(), shownBody: shownBody ?? '' };
  }

  const newcomer = { email: `browser-${process.pid}@example.com`, password: 'correct horse battery staple' };
  let accessToken = '';

  await t.test('register, then log in, with Try it out', async (t) => {
    const register = await tryItOut(
      page.locator('#operations-auth-register'),
      '/v1/auth/register',
      JSON.stringify({ ...newcomer, name: 'Browser User' }),
    );
    t.equal(register.reply.status(), 201, 'the API answered 201');
    t.equal(register.shownStatus, '201', 'the page shows the 201');
    t.match(register.shownBody, '"email": "' + newcomer.email + '"', 'and the new user');

    const login = await tryItOut(page.locator('#operations-auth-login'), '/v1/auth/login', JSON.stringify(newcomer));
    t.equal(login.shownStatus, '200', 'the page shows the login 200');
    const tokens = (await login.reply.json()) as { access_token: string };
    t.match(login.shownBody, `"access_token": "${tokens.access_token}"`, 'and the access token');
    accessToken = tokens.access_token;
  });

  await t.test('Authorize with that access token, then Try it out on GET /v1/users/me', async (t) => {
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input').first().fill(accessToken);
    await dialog.locator('button.modal-btn.auth.authorize').click();
    await dialog.locator('button.btn-done').click();

    const me = await tryItOut(page.locator('#operations-users-getCurrentUser'), '/v1/users/me');
    t.equal(me.reply.status(), 200, 'the API answered 200');
    t.equal(me.reply.request().headers().authorization, `Bearer ${accessToken}`, 'with the bearer token');
    t.equal(me.shownStatus, '200', 'the UI shows the 200');
    t.match(me.shownBody, newcomer.email, 'and the user it returned');
  });

  await t.test('Try it out: create a bucketlist, then list the bucketlists', async (t) => {
    const created = await tryItOut(
      page.locator('#operations-bucketlists-createBucketlist'),
      '/v1/bucketlists',
      JSON.stringify({ name: 'Seen from the browser', description: 'Made with Try it out' }),
    );
    t.equal(created.reply.status(), 201, 'the API answered 201');
    t.equal(created.reply.request().headers().authorization, `Bearer ${accessToken}`, 'with the bearer token');
    t.equal(created.shownStatus, '201', 'the page shows the 201');
    t.match(created.shownBody, '"name": "Seen from the browser"', 'and the new bucketlist');
    t.match(created.shownBody, '"item_count": 0');
    const { id } = (await created.reply.json()) as { id: number };

    const listed = await tryItOut(page.locator('#operations-bucketlists-listBucketlists'), '/v1/bucketlists');
    t.equal(listed.reply.status(), 200, 'the API answered 200');
    t.equal(listed.shownStatus, '200', 'the page shows the 200');
    t.match(listed.shownBody, `"id": ${id}`, 'and the page holds the new bucketlist');
    t.match(listed.shownBody, '"total": 1', 'as its only one');
    await page.locator('#operations-bucketlists-listBucketlists').scrollIntoViewIfNeeded();
  });

  await page.screenshot({ path: SCREENSHOT });
  t.comment(`screenshots: ${OVERVIEW}, ${SCREENSHOT}`);
  t.same(problems, [], 'no script error, CSP violation or failed request in the page');
});
