import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../local/chromium';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from '../../../local/local-stack';

const API_KEY = 'page-test-key-5f0c2a9d';
const GOOD_WAFER = path.join(PROJECT_ROOT, 'samples/wafer-photos/good/wafer.jpg');

describe('upload page against a local stack that requires an API key', () => {
  let stack: LocalStack;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let inspectionId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-page-key-'));
    stack = await startLocalStack({ port: 0, dataDir, apiKey: API_KEY, env: { POWERTOOLS_LOG_LEVEL: 'WARN' } });
    // One inspection to show in the history, uploaded as a client with the key would.
    const upload = await fetch(`${stack.url}/inspections`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', 'x-api-key': API_KEY },
      body: await readFile(GOOD_WAFER),
    });
    inspectionId = ((await upload.json()) as { inspectionId: string }).inspectionId;
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The API's deliberate 403 for the key-less navigation check below is the only expected console error.
      if (message.type() === 'error' && !message.text().includes('403')) pageErrors.push(message.text());
    });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the history with the key from config.json and opens a record in a dialog, fetched with the key', async () => {
    // Prepare
    const link = page.locator(`#history-rows a.record-link[data-inspection-id="${inspectionId}"]`);
    await link.waitFor();

    // Act
    await link.click();
    await page.locator('#record-json').filter({ hasText: inspectionId }).waitFor();
    const shown = JSON.parse((await page.locator('#record-json').textContent()) ?? '') as { inspectionId: string; status: string };

    // Assess
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.locator('#record-dialog').getAttribute('open')).not.toBeNull();
    expect(shown).toMatchObject({ inspectionId, status: 'normal' });
    await page.locator('#record-dialog-close').click();
    expect(await page.locator('#record-dialog').getAttribute('open')).toBeNull();
    expect(pageErrors).toEqual([]);
  });

  it('keeps the record URL on the link, which without the key is refused: the dialog is what makes it readable', async () => {
    // Prepare
    const href = await page.locator(`#history-rows a.record-link[data-inspection-id="${inspectionId}"]`).getAttribute('href');

    // Act
    const keyless = await fetch(href ?? '');

    // Assess
    expect(href).toBe(`${stack.url}/inspections/${inspectionId}`);
    expect(keyless.status).toBe(403);
  });
});
