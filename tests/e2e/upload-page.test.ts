import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../local/chromium';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from '../../local/local-stack';

const GOOD_WAFER = path.join(PROJECT_ROOT, 'samples/wafer-photos/good/wafer.jpg');
const SCRATCHED_WAFER = path.join(PROJECT_ROOT, 'samples/wafer-photos/anomalous/scratch.jpg');
const STATION = 'e2e-litho-2';
const SETTLED = '[data-state="normal"], [data-state="anomalous"], [data-state="not-inspected"], [data-state="failed"]';

interface LocalCall {
  contactId: string;
  destination: string;
  status: string;
  attributes: Record<string, string>;
}

describe('upload page on the local stack', () => {
  let stack: LocalStack;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-e2e-'));
    // Sign-in off: this is the page at work (sign-in.test.ts signs in and out).
    stack = await startLocalStack({ port: 0, dataDir, env: { POWERTOOLS_LOG_LEVEL: 'WARN', WAFERWATCH_AUTH: 'off' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 820 } });
    // Any script error or Content-Security-Policy violation on the page fails the test below.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shows a normal and an anomalous verdict, rings the operator for the anomalous wafer only, and lists both', async () => {
    // Prepare
    // No station registry on this stack: the station is free text.
    await page.locator('#station').fill(STATION);
    await page.locator('#station').dispatchEvent('change');

    // Act
    await page.getByLabel('Choose wafer images').setInputFiles([GOOD_WAFER, SCRATCHED_WAFER]);
    const good = page.locator('li.result', { hasText: 'wafer.jpg' });
    const scratched = page.locator('li.result', { hasText: 'scratch.jpg' });
    await good.and(page.locator(SETTLED)).waitFor({ timeout: 20_000 });
    await scratched.and(page.locator(SETTLED)).waitFor({ timeout: 20_000 });
    const goodId = await good.getAttribute('data-inspection-id');
    const scratchedId = await scratched.getAttribute('data-inspection-id');
    // The alert is queued with the verdict; the place-call function rings a moment later and the card follows the ladder.
    await expect.poll(() => scratched.locator('.alert-line').textContent(), { timeout: 10_000 }).toBe('Ringing level 1 (Operator)');
    const calls = ((await (await fetch(`${stack.url}/_local/calls`)).json()) as { calls: LocalCall[] }).calls;

    // Assess: the verdicts as the operator sees them
    await expect.poll(() => good.getAttribute('data-state')).toBe('normal');
    await expect.poll(() => scratched.getAttribute('data-state')).toBe('anomalous');
    expect(await good.locator('.verdict').textContent()).toBe('Normal');
    expect(await scratched.locator('.verdict').textContent()).toBe('Anomalous');
    for (const card of [good, scratched]) {
      expect(await card.locator('.confidence-value').textContent()).toMatch(/^\d{1,3}%$/);
      expect(await card.locator('.confidence-bar').getAttribute('aria-label')).toMatch(/^Confidence \d{1,3} percent$/);
      expect(await card.locator('.error').isVisible()).toBe(false);
    }
    // The anomaly areas are overlaid on the anomalous wafer only.
    expect(await scratched.locator('img.mask').isVisible()).toBe(true);
    expect(await scratched.locator('img.mask').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await good.locator('img.mask').isVisible()).toBe(false);
    expect(await good.locator('.alert-line').textContent()).toBe('No call (normal)');
    expect(goodId).toMatch(/^[0-9A-Z]{26}$/);
    expect(scratchedId).toMatch(/^[0-9A-Z]{26}$/);

    // Assess: exactly one call, for the anomalous inspection, to the masked operator number
    expect(calls).toHaveLength(1);
    expect(calls[0]!.attributes).toMatchObject({ inspectionId: scratchedId, stationId: STATION, escalationLevel: '1', escalationLoop: '1' });
    expect(calls[0]!.destination).toBe('+1******0100');
    expect(calls.some((call) => call.attributes.inspectionId === goodId)).toBe(false);
    // The page and the phone call speak the same percent.
    expect(await scratched.locator('.confidence-value').textContent()).toBe(`${calls[0]!.attributes.confidencePercent}%`);

    // Assess: the phone rings for it, in a panel of its own named by its rung of the ladder, with the call's attributes
    await page.locator('#phone-device[data-state="ringing"]').waitFor({ timeout: 5_000 });
    const panel = page.locator(`li.call-panel[data-contact-id="${calls[0]!.contactId}"]`);
    expect(await panel.locator('.call-title').textContent()).toBe(`Level 1 · ${calls[0]!.attributes.contactName}`);
    expect(await panel.getAttribute('data-state')).toBe('ringing');
    expect(await panel.locator('.call-attributes').textContent()).toContain(scratchedId);

    // Assess: the history lists both, each linking to its record
    for (const id of [goodId, scratchedId]) {
      const link = page.locator(`#history-rows tr[data-inspection-id="${id}"] a`);
      await link.waitFor({ timeout: 5_000 });
      expect(await link.getAttribute('href')).toBe(`${new URL(page.url()).origin}/inspections/${id}`);
    }
    expect(await page.locator(`#history-rows tr[data-inspection-id="${goodId}"]`).getAttribute('data-status')).toBe('normal');
    expect(await page.locator(`#history-rows tr[data-inspection-id="${scratchedId}"]`).getAttribute('data-status')).toBe('anomalous');
    expect(pageErrors).toEqual([]);
  });

  it('answers the call: the operator hears the contact flow, presses 1, the call leaves the phone and the ladder shows who acknowledged', async () => {
    // Prepare
    const call = ((await (await fetch(`${stack.url}/_local/calls`)).json()) as { calls: LocalCall[] }).calls[0]!;
    const inspectionId = call.attributes.inspectionId!;
    const panel = page.locator(`li.call-panel[data-contact-id="${call.contactId}"]`);

    // Act: by keyboard, as an operator without a mouse would
    await panel.getByRole('button', { name: 'Answer' }).focus();
    await page.keyboard.press('Enter');
    await panel.getByRole('button', { name: 'Key 1' }).and(page.locator(':enabled')).waitFor({ timeout: 5_000 });
    // Runs in the page; Node's types have no document.
    const focusedAfterAnswer = await page.evaluate(() =>
      (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }).document.activeElement?.getAttribute(
        'aria-label',
      ),
    );
    const heard = await panel.locator('.call-prompt').textContent();
    await panel.getByRole('button', { name: 'Key 1' }).click();
    await panel.waitFor({ state: 'detached', timeout: 10_000 });
    const record = (await (await fetch(`${stack.url}/inspections/${inspectionId}`)).json()) as {
      decision?: { decision: string; key: string };
      alert: { status: string };
    };

    // Assess
    expect(focusedAfterAnswer).toBe('Key 1');
    expect(heard).toContain(`flagged a wafer. An anomaly was detected with ${call.attributes.confidencePercent} percent confidence.`);
    expect(heard).toContain('Press 1 to keep manufacturing. Press 2 to scrap the wafer.');
    expect(await page.locator('#phone-state').textContent()).toBe(`Call ended · Level 1 · ${call.attributes.contactName}: decided: keep manufacturing`);
    await expect
      .poll(() => page.locator(`#call-log li[data-contact-id="${call.contactId}"]`).textContent(), { timeout: 5_000 })
      .toContain('decided: keep manufacturing');
    expect(record.decision).toMatchObject({ decision: 'keep', key: '1' });
    expect(record.alert.status).toBe('acknowledged');
    const acknowledged = `Ringing level 1 (${call.attributes.contactName}) → acknowledged by ${call.attributes.contactName}: keep manufacturing`;
    await expect.poll(() => page.locator(`li.result[data-inspection-id="${inspectionId}"] .alert-line`).textContent(), { timeout: 5_000 }).toBe(acknowledged);
    await expect.poll(() => page.locator(`#history-rows tr[data-inspection-id="${inspectionId}"]`).textContent(), { timeout: 5_000 }).toContain(acknowledged);
    expect(await page.locator('li.call-panel').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('explains a refused file in words and remembers the station', async () => {
    // Prepare
    const notAnImage = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a wafer photo') };

    // Act
    await page.getByLabel('Choose wafer images').setInputFiles(notAnImage);
    const card = page.locator('li.result', { hasText: 'notes.txt' });
    await card.and(page.locator('[data-state="failed"]')).waitFor({ timeout: 10_000 });
    const status = await card.locator('.result-status').textContent();
    const message = await card.locator('.error').textContent();
    const final = await page.locator('#status').textContent();
    const details = await card.locator('.details-text').textContent();
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();

    // Assess
    // Plain words for the operator; the code is for the engineer, under "Engineer details".
    expect(status).toBe('Refused');
    expect(details).toContain('UNSUPPORTED_IMAGE_TYPE');
    expect(message).toBe('This file is not a PNG or JPEG image. Only PNG and JPEG wafer photos can be inspected.');
    expect(final).toBe('The file was refused and not inspected: see its card for why.');
    expect(await page.locator('li.result').count()).toBe(0);
    expect(await page.locator('#station').inputValue()).toBe(STATION);
  });

  it('inspects an image dropped on the drop zone', async () => {
    // Prepare
    const bytes = [...(await readFile(GOOD_WAFER))];
    const drop = await page.evaluateHandle((content) => {
      // Runs in the page; Node's types have no DataTransfer.
      const page = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
      const transfer = new page.DataTransfer();
      transfer.items.add(new File([new Uint8Array(content)], 'dropped.jpg', { type: 'image/jpeg' }));
      return transfer;
    }, bytes);

    // Act
    await page.locator('#drop-zone').dispatchEvent('drop', { dataTransfer: drop });
    const card = page.locator('li.result', { hasText: 'dropped.jpg' });
    await card.and(page.locator(SETTLED)).waitFor({ timeout: 20_000 });

    // Assess
    expect(await card.getAttribute('data-state')).toBe('normal');
    expect(await card.locator('.preview').getAttribute('src')).toMatch(/^blob:/);
  });

  it('serves the page under a Content-Security-Policy without inline script', async () => {
    // Act
    const response = await fetch(stack.url);
    const html = await response.text();
    const folders = ['static-site', 'local/phone/page'].map((folder) => path.join(PROJECT_ROOT, folder));
    const modules = (
      await Promise.all(folders.map(async (folder) => (await readdir(folder)).filter((file) => file.endsWith('.js')).map((file) => path.join(folder, file))))
    ).flat();
    const scripts = await Promise.all(modules.map(async (file) => ({ file: path.relative(PROJECT_ROOT, file), text: await readFile(file, 'utf8') })));

    // Assess
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(scripts.map(({ file }) => file)).toEqual(expect.arrayContaining(['static-site/app.js', 'local/phone/page/phone-panel.js']));
    for (const { file, text } of scripts) expect(text, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
  });

  it('with the deployed config.json (local: false) shows no phones and asks for nothing under /_local/', async () => {
    // Prepare: the same page, configured as deploy:site configures it (no `local`), less its sign-in (this stack asks none)
    const deployed = await browser.newPage({ viewport: { width: 1180, height: 820 } });
    const requested: string[] = [];
    deployed.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await deployed.route('**/config.json', (route) => route.fulfill({ json: { apiBaseUrl: stack.url, auth: null } }));

    try {
      // Act
      await deployed.goto(stack.url);
      await deployed.locator('body[data-ready="true"]').waitFor();
      await deployed.locator('#history-rows tr').first().waitFor({ timeout: 5_000 });

      // Assess
      expect(await deployed.locator('#phone, .phone-panel, li.call-panel').count()).toBe(0);
      expect(await deployed.locator('#environment').isVisible()).toBe(false);
      expect(requested.filter((pathname) => pathname.startsWith('/_local/'))).toEqual([]);
      // The upload list takes the full width when there is no phone beside it.
      // Runs in the page; Node's types have no getComputedStyle.
      const columns = await deployed
        .locator('.layout')
        .evaluate(
          (layout) =>
            (globalThis as unknown as { getComputedStyle(element: unknown): { gridTemplateColumns: string } }).getComputedStyle(layout).gridTemplateColumns,
        );
      expect(columns.split(' ')).toHaveLength(1);
    } finally {
      await deployed.close();
    }
  });
});
