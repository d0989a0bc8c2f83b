/**
 * The docs page in a real browser (headless Chromium through playwright-core): it renders under
 * its CSP, lists every tag and operation of the document, and "Authorize" then "Try it out" on
 * GET /v1/users/me gets a 200 from the running API.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import t from 'tap';
import { build, signUp } from '../helper.js';
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
const SCREENSHOT = join(repoRoot, '.tap/screenshots/docs.png');

interface Document {
  tags: { name: string }[];
  paths: Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>>;
}

const missing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install it (apt-get install -y chromium) to run this test`;

t.test('the Swagger UI at /docs works in headless Chromium', { skip: missing }, async (t) => {
  const app = await build(t);
  const user = await signUp(app);
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

  await t.test('Authorize with a real access token, then Try it out on GET /v1/users/me', async (t) => {
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.locator('input').first().fill(user.tokens.access_token);
    await dialog.locator('button.modal-btn.auth.authorize').click();
    await dialog.locator('button.btn-done').click();

    const me = page.locator('#operations-users-getCurrentUser');
    await me.locator('.opblock-summary').first().click();
    await me.locator('button.try-out__btn').click();
    const answered = page.waitForResponse((reply) => reply.url() === `${origin}/v1/users/me`);
    await me.locator('button.execute').click();
    const reply = await answered;
    t.equal(reply.status(), 200, 'the API answered 200');
    t.equal(reply.request().headers().authorization, `Bearer ${user.tokens.access_token}`, 'with the bearer token');

    const status = me.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    t.equal((await status.textContent())?.trim(), '200', 'the UI shows the 200');
    const body = await me.locator('.live-responses-table .response-col_description pre').first().textContent();
    t.match(body, user.email, 'and the user it returned');
    await me.scrollIntoViewIfNeeded();
  });

  mkdirSync(join(repoRoot, '.tap/screenshots'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  t.comment(`screenshot: ${SCREENSHOT}`);
  t.same(problems, [], 'no script error, CSP violation or failed request in the page');
});
