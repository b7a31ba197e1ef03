import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../local/chromium';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from '../../local/local-stack';
import { makeTestWaferImage } from '../helpers/test-wafer-images';

// The page a line engineer keeps open all shift (issue 15), in headless Chromium at a desktop and a phone size: open
// alerts first with their ladder live, batches with a true summary, the same image again, the wafer viewer's zoom, no
// sideways scrolling, and axe-core (no serious or critical violation) in the idle, after-uploads, viewer and ringing
// states. Sign-in is off (sign-in.test.ts signs in); a station registry with a two-level ladder is on.

const STATIONS = {
  stations: [
    {
      id: 'e2e-litho-3',
      name: 'Litho three',
      escalation: [
        { name: 'Line operator', phone: '+15555550100' },
        { name: 'Shift lead', phone: '+15555550101' },
      ],
    },
    { id: 'e2e-etch-1', name: 'Etch one', escalation: [{ name: 'Etch operator', phone: '+15555550110' }] },
  ],
};
const STATION = 'Litho three';
const sample = (folder: 'good' | 'anomalous', name: string) => path.join(PROJECT_ROOT, 'samples/wafer-photos', folder, name);
const VIEWPORTS = [
  { name: 'desktop', width: 1400, height: 1000, normal: 'wafer.jpg', anomalous: 'scratch.jpg' },
  { name: 'phone', width: 390, height: 844, normal: '120_wafer.jpg', anomalous: '240_scratch.jpg' },
] as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: Array<{ target: unknown[] }>;
}

interface LocalCall {
  contactId: string;
  status: string;
  attributes: Record<string, string>;
}

describe('the page a line engineer keeps open', () => {
  let stack: LocalStack;
  let folder: string;
  let browser: Browser;
  let axeSource: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-e2e-workbench-'));
    const stationsFile = path.join(folder, 'stations.json');
    await writeFile(stationsFile, JSON.stringify(STATIONS));
    stack = await startLocalStack({
      port: 0,
      dataDir: path.join(folder, '.data'),
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        STATIONS_FILE: stationsFile,
        // Long enough that nothing moves on by itself while a test looks; the tests decline and answer.
        ACK_TIMEOUT_SECONDS: '120',
        RING_TIMEOUT_SECONDS: '300',
        ESCALATION_LOOPS: '1',
        STATION_CALL_COOLDOWN_SECONDS: '0',
        WAFERWATCH_AUTH: 'off',
      },
    });
    browser = await launchChromium();
    axeSource = await readFile(path.join(PROJECT_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** A fresh page at this size, ready, with every script error and CSP violation collected. */
  async function openPage(width: number, height: number): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width, height }, reducedMotion: 'reduce' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // A refused upload is logged by the browser as a failed resource; that is the test's own doing.
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
        errors.push(message.text());
    });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
    return { page, errors };
  }

  /** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules and best practices). */
  async function axeViolations(page: Page): Promise<string[]> {
    // Evaluated by the debugger protocol, so the page's CSP (no inline script) does not stand in its way.
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
      return result.violations;
    });
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
  }

  async function sidewaysOverflow(page: Page): Promise<number> {
    return page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
  }

  async function focusedDescription(page: Page): Promise<string> {
    return page.evaluate(() => {
      const active = (
        globalThis as unknown as {
          document: {
            activeElement: { tagName: string; id: string; textContent: string | null; getAttribute(name: string): string | null } | null;
            body: unknown;
          };
        }
      ).document.activeElement;
      if (!active || active.tagName === 'BODY') return 'BODY';
      return `${active.tagName}#${active.id} ${active.getAttribute('aria-label') ?? active.textContent?.trim().slice(0, 40) ?? ''}`;
    });
  }

  async function calls(): Promise<LocalCall[]> {
    return ((await (await fetch(`${stack.url}/_local/calls`)).json()) as { calls: LocalCall[] }).calls;
  }

  async function chooseFiles(page: Page, files: Array<string | { name: string; mimeType: string; buffer: Buffer }>): Promise<Locator> {
    const before = await page.locator('.batch').count();
    // Playwright takes paths or buffers, not both at once.
    const payloads = await Promise.all(
      files.map(async (file) => (typeof file === 'string' ? { name: path.basename(file), mimeType: 'image/jpeg', buffer: await readFile(file) } : file)),
    );
    await page.getByLabel('Choose wafer images').setInputFiles(payloads);
    await expect.poll(() => page.locator('.batch').count(), { timeout: 5_000 }).toBe(before + 1);
    const batch = page.locator('.batch').first();
    await batch.and(page.locator('[data-done="true"]')).waitFor({ timeout: 30_000 });
    return batch;
  }

  for (const viewport of VIEWPORTS) {
    describe(`at ${viewport.width}×${viewport.height} (${viewport.name})`, () => {
      let page: Page;
      let errors: string[];

      beforeAll(async () => {
        ({ page, errors } = await openPage(viewport.width, viewport.height));
      });

      afterAll(async () => {
        await page?.close();
      });

      it('idle: open alerts first, the station picked from the registry, no sideways scrolling, axe-clean', async () => {
        // Act
        await page
          .locator('#alerts-count')
          .filter({ hasText: /None|open/ })
          .waitFor({ timeout: 10_000 });
        const options = await page.locator('#station-select option').allTextContents();
        const first = await page.locator('main > *:not([hidden])').first().getAttribute('id');

        // Assess
        expect(first).toBe('alerts');
        expect(options).toEqual(['Choose your station…', 'Etch one (e2e-etch-1)', 'Litho three (e2e-litho-3)']);
        expect(await page.locator('#station').isVisible()).toBe(false);
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        expect(await axeViolations(page)).toEqual([]);
        expect(errors).toEqual([]);
      });

      it('asks for the station before uploading, and remembers it on the device', async () => {
        // Act
        await page.getByLabel('Choose wafer images').setInputFiles(sample('good', viewport.normal));
        const asked = await page.locator('#status').textContent();
        const focused = await focusedDescription(page);
        await page.locator('#station-select').selectOption({ label: `${STATION} (e2e-litho-3)` });
        await page.reload();
        await page.locator('body[data-ready="true"]').waitFor();

        // Assess
        expect(asked).toBe('Choose your station first, then choose the image again.');
        expect(focused).toMatch(/^SELECT#station-select/);
        expect(await page.locator('.batch').count()).toBe(0);
        expect(await page.locator('#station-select').inputValue()).toBe('e2e-litho-3');
      });

      it('a batch: cards in the order sent, a summary of normal / anomalous / refused, and a true final message', async () => {
        // Act
        const batch = await chooseFiles(page, [
          sample('good', viewport.normal),
          sample('anomalous', viewport.anomalous),
          { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a wafer photo') },
        ]);
        const names = await batch.locator('li.result .file-name').allTextContents();
        const states = await batch
          .locator('li.result')
          .evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { state: string } }).dataset.state));
        const refused = batch.locator('li.result', { hasText: 'notes.txt' });

        // Assess
        expect(names).toEqual([viewport.normal, viewport.anomalous, 'notes.txt']);
        expect(states).toEqual(['normal', 'anomalous', 'failed']);
        expect(await batch.locator('.batch-summary').textContent()).toBe('1 normal · 1 anomalous · 1 refused');
        expect(await page.locator('#status').textContent()).toBe('Done: 2 of 3 files inspected (1 normal, 1 anomalous); 1 refused.');
        // Plain words for the operator; the code only under "Engineer details".
        expect(await refused.locator('.result-status').textContent()).toBe('Refused');
        expect(await refused.locator('.error').textContent()).not.toMatch(/[A-Z]{3,}_[A-Z]/);
        expect(await refused.locator('.details-text').textContent()).toMatch(/^HTTP 4\d\d · [A-Z_]+/);
        expect(errors).toEqual([]);
      });

      it('a batch of refused files says none could be inspected, never that all were uploaded', async () => {
        // Act
        const batch = await chooseFiles(page, [
          { name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
          { name: 'b.txt', mimeType: 'text/plain', buffer: Buffer.from('not one either') },
        ]);

        // Assess
        expect(await batch.locator('.batch-summary').textContent()).toBe('2 refused');
        expect(await page.locator('#status').textContent()).toBe('None of the 2 files could be inspected: all were refused. See each card for why.');
        expect(await page.locator('body').textContent()).not.toContain('All images uploaded');
      });

      it('the same image again: "Already inspected at 02:58 on Litho three", with a link that opens it', async () => {
        // Prepare
        const first = page.locator('li.result[data-state="normal"]', { hasText: viewport.normal }).first();
        const firstId = await first.getAttribute('data-inspection-id');

        // Act
        const batch = await chooseFiles(page, [sample('good', viewport.normal)]);
        const card = batch.locator('li.result').first();
        const said = await card.locator('.already-text').textContent();
        await card.getByRole('link', { name: /^See that inspection, of \d\d:\d\d$/ }).click();
        await page.locator('#viewer[open]').waitFor();
        await expect.poll(() => page.locator('#viewer-json').textContent(), { timeout: 5_000 }).toContain(firstId!);
        const title = await page.locator('#viewer-title').textContent();
        await page.getByRole('button', { name: 'Close' }).click();

        // Assess
        expect(said).toMatch(/^Already inspected at \d\d:\d\d on Litho three\.$/);
        expect(await card.getAttribute('data-already')).toBe('true');
        expect(await card.locator('.result-status').textContent()).toBe('The same image as before: no new inspection, and nobody is called again.');
        expect(await batch.locator('.batch-summary').textContent()).toBe('1 normal · 1 inspected before');
        expect(await page.locator('#status').textContent()).toBe('Done: the file was inspected (1 normal); 1 had been inspected before.');
        expect(title).toMatch(/^Normal wafer · Litho three · \d\d:\d\d$/);
        expect(await focusedDescription(page)).toMatch(/^A# See that inspection, of/);
      });

      it('ringing: the alert is at the top, visible without scrolling, no sideways scrolling, axe-clean after the uploads', async () => {
        // Prepare
        const anomalous = page.locator('li.result[data-state="anomalous"]').first();
        const inspectionId = await anomalous.getAttribute('data-inspection-id');
        const alert = page.locator(`#alerts .alert-card[data-inspection-id="${inspectionId}"]`);

        // Act
        await alert.and(page.locator('[data-alert-status="ringing"]')).waitFor({ timeout: 15_000 });
        await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
        const box = await alert.locator('.alert-headline').boundingBox();

        // Assess
        expect(await alert.locator('.alert-headline').textContent()).toBe('Ringing level 1 of 2');
        expect(await alert.locator('.ladder-step').allTextContents()).toEqual(['Level 1 Line operator: ringing now']);
        expect(box).not.toBeNull();
        expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
        expect(await page.locator('.alert-station h3').first().textContent()).toMatch(/^Litho three · \d+ open$/);
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        expect(await axeViolations(page)).toEqual([]);
        expect(errors).toEqual([]);
      });

      it('the viewer: full-size picture with the overlay on and off, zoom and pan by buttons, keys, wheel and drag; axe-clean', async () => {
        // Prepare
        const card = page.locator('li.result[data-state="anomalous"]').first();
        const stage = page.locator('#viewer-stage');

        // Act: a click on the picture
        await card.locator('.figure').click();
        await page.locator('#viewer[open]').waitFor();
        await expect.poll(() => page.locator('#viewer-facts').textContent(), { timeout: 5_000 }).toContain('Operator alert');
        const photo = await page.locator('#viewer-photo').getAttribute('src');
        const natural = await page.locator('#viewer-photo').evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
        const maskShown = await page.locator('#viewer-mask').isVisible();
        await page.getByLabel('Show anomaly areas').last().uncheck();
        const maskHidden = await page.locator('#viewer-mask').isHidden();
        await page.getByLabel('Show anomaly areas').last().check();
        await page.getByRole('button', { name: 'Zoom in' }).click();
        const afterButton = await stage.getAttribute('data-zoom');
        await stage.focus();
        await page.keyboard.press('+');
        const afterKey = await stage.getAttribute('data-zoom');
        const before = await page.locator('#viewer-canvas').evaluate((canvas) => (canvas as unknown as { style: { transform: string } }).style.transform);
        await page.keyboard.press('ArrowRight');
        const box = (await stage.boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 30, { steps: 4 });
        await page.mouse.up();
        const panned = await page.locator('#viewer-canvas').evaluate((canvas) => (canvas as unknown as { style: { transform: string } }).style.transform);
        const zoomShown = await page.locator('#viewer-zoom').textContent();
        await page.keyboard.press('0');
        const fitted = await stage.getAttribute('data-zoom');
        await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
        await page.mouse.wheel(0, -300);
        await expect.poll(() => stage.getAttribute('data-zoom').then(Number)).toBeGreaterThan(100);
        await page.locator('.engineer-details summary').click();
        const jsonFocusable = await page.locator('#viewer-json').getAttribute('tabindex');
        const violations = await axeViolations(page);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.locator('#viewer').getAttribute('open')).toBeNull();

        // Assess
        expect(photo).toMatch(/^blob:/);
        expect(natural).toBeGreaterThan(400);
        expect(maskShown).toBe(true);
        expect(maskHidden).toBe(true);
        expect([afterButton, afterKey]).toEqual(['200', '400']);
        expect(zoomShown).toBe('400%');
        expect(panned).not.toBe(before);
        expect(fitted).toBe('100');
        expect(jsonFocusable).toBe('0');
        expect(await page.locator('#viewer-facts').textContent()).not.toMatch(/embedded|wwm|[A-Z]{3,}_[A-Z]/);
        expect(violations).toEqual([]);
        expect(await focusedDescription(page)).toMatch(/Look closer/);
        expect(errors).toEqual([]);
      });

      it('a wafer opened from the history in a fresh page shows its full-size photo from the API: "loading" while it comes, the anomaly areas alone when it is too large', async () => {
        // Prepare: a page that uploaded nothing; the first photo is held back until the loading state is seen, and a
        // later one answered as the API answers a camera image too large to travel (image null, tooLarge).
        const { page: fresh, errors: freshErrors } = await openPage(viewport.width, viewport.height);
        let release = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let answerTooLarge = false;
        await fresh.route('**/inspections/*/image', async (route) => {
          if (!answerTooLarge) {
            await held;
            await route.continue();
            return;
          }
          const inspectionId = new URL(route.request().url()).pathname.split('/').at(-2);
          await route.fulfill({
            status: 200,
            contentType: 'application/json; charset=utf-8',
            body: JSON.stringify({
              inspectionId,
              contentType: 'image/jpeg',
              width: 4096,
              height: 4096,
              sizeBytes: 20 * 1024 * 1024,
              image: null,
              tooLarge: true,
            }),
          });
        });
        const anomalousRow = fresh.locator('#history-rows tr[data-status="anomalous"]').first();
        const normalRow = fresh.locator('#history-rows tr[data-status="normal"]').first();
        const stage = fresh.locator('#viewer-stage');

        try {
          // Act: open an anomalous wafer from the history
          await anomalousRow.waitFor({ timeout: 10_000 });
          const inspectionId = await anomalousRow.getAttribute('data-inspection-id');
          await anomalousRow.locator('.record-link').click();
          await fresh.locator('#viewer[open]').waitFor();
          await fresh.locator('#viewer-stage[data-photo="loading"]').waitFor({ timeout: 5_000 });
          const loadingText = await fresh.locator('#viewer-no-photo').textContent();
          const busy = await stage.getAttribute('aria-busy');
          release();
          await fresh.locator('#viewer-stage[data-photo="shown"]').waitFor({ timeout: 10_000 });
          await expect.poll(() => fresh.locator('#viewer-json').textContent(), { timeout: 5_000 }).toContain(inspectionId!);
          const record = JSON.parse((await fresh.locator('#viewer-json').textContent())!) as { image: { width: number; height: number } };
          const photo = await fresh.locator('#viewer-photo').getAttribute('src');
          await expect
            .poll(() => fresh.locator('#viewer-photo').evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth), { timeout: 5_000 })
            .toBeGreaterThan(0);
          const natural = await fresh
            .locator('#viewer-photo')
            .evaluate((image) => [(image as unknown as { naturalWidth: number }).naturalWidth, (image as unknown as { naturalHeight: number }).naturalHeight]);
          const noteHidden = await fresh.locator('#viewer-no-photo').isHidden();
          const busyAfter = await stage.getAttribute('aria-busy');
          const violations = await axeViolations(fresh);
          await fresh.keyboard.press('Escape');
          await expect.poll(() => fresh.locator('#viewer').getAttribute('open')).toBeNull();

          // Act: a wafer whose photo is too large for the API
          answerTooLarge = true;
          await normalRow.locator('.record-link').click();
          await fresh.locator('#viewer-stage[data-photo="too-large"]').waitFor({ timeout: 10_000 });
          const tooLargeText = await fresh.locator('#viewer-no-photo').textContent();
          const photoHidden = await fresh.locator('#viewer-photo').isHidden();
          await fresh.keyboard.press('Escape');

          // Assess
          expect(loadingText).toBe('Loading the full-size photo…');
          expect(busy).toBe('true');
          expect(photo).toMatch(/^blob:/);
          expect(natural).toEqual([record.image.width, record.image.height]);
          expect(natural[0]).toBeGreaterThan(100);
          expect(noteHidden).toBe(true);
          expect(busyAfter).toBeNull();
          expect(violations).toEqual([]);
          expect(tooLargeText).toMatch(
            /^This photo \(20 MB\) is too large to show on this page\. (Only the anomaly areas the detector found are shown\.|The detector marked no areas, so there is nothing to show here\.)$/,
          );
          expect(photoHidden).toBe(true);
          expect(freshErrors).toEqual([]);
        } finally {
          release();
          await fresh.close();
        }
      });

      it('the live ladder: level 1 declines, level 2 rings on the alert, answers and scraps; the alert moves to the history with who chose what', async () => {
        // Prepare
        const anomalous = page.locator('li.result[data-state="anomalous"]').first();
        const inspectionId = (await anomalous.getAttribute('data-inspection-id'))!;
        const alert = page.locator(`#alerts .alert-card[data-inspection-id="${inspectionId}"]`);
        const callTo = async (contactName: string) => {
          let found: LocalCall | undefined;
          await expect
            .poll(
              async () => {
                found = (await calls()).find(
                  (call) => call.attributes.inspectionId === inspectionId && call.attributes.contactName === contactName && call.status === 'initiated',
                );
                return found !== undefined;
              },
              { timeout: 15_000 },
            )
            .toBe(true);
          return page.locator(`li.call-panel[data-contact-id="${found!.contactId}"]`);
        };

        // Act: level 1 declines on the simulated phone, by keyboard; the phone's answer is held back until focus is read
        const first = await callTo('Line operator');
        let release = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        await page.route('**/_local/phone/*/decline', async (route) => {
          await held;
          await route.continue();
        });
        let focusWhileDeclining: string;
        try {
          await first.getByRole('button', { name: /^Decline/ }).focus();
          await page.keyboard.press('Enter');
          await first.locator('.call-status', { hasText: 'Declining…' }).waitFor({ timeout: 5_000 });
          focusWhileDeclining = await focusedDescription(page);
        } finally {
          release();
        }
        await first.waitFor({ state: 'detached', timeout: 10_000 });
        await page.unroute('**/_local/phone/*/decline');
        const focusAfterDecline = await focusedDescription(page);
        await expect.poll(() => alert.locator('.alert-headline').textContent(), { timeout: 10_000 }).toBe('Ringing level 2 of 2');
        const steps = await alert.locator('.ladder-step').allTextContents();
        const ringingViolations = await axeViolations(page);
        // Level 2 answers by keyboard and scraps
        const second = await callTo('Shift lead');
        await second.getByRole('button', { name: /^Answer/ }).focus();
        await page.keyboard.press('Enter');
        await second.getByRole('button', { name: 'Key 2' }).and(page.locator(':enabled')).waitFor({ timeout: 5_000 });
        const focusAfterAnswer = await focusedDescription(page);
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await second.waitFor({ state: 'detached', timeout: 10_000 });
        const focusAfterKey = await focusedDescription(page);
        await alert.waitFor({ state: 'detached', timeout: 10_000 });
        const row = page.locator(`#history-rows tr[data-inspection-id="${inspectionId}"]`);
        await expect.poll(() => row.locator('td[data-label="Decision"]').textContent(), { timeout: 20_000 }).toBe('Shift lead chose scrap');

        // Assess
        expect(focusWhileDeclining).toBe('P# Declining…');
        expect(focusAfterDecline).toMatch(/^(P#phone-state|BUTTON#)/);
        expect(steps).toEqual(['Level 1 Line operator: declined or busy', 'Level 2 Shift lead: ringing now']);
        expect(ringingViolations).toEqual([]);
        expect(focusAfterAnswer).toMatch(/Key 1/);
        expect(focusAfterKey).not.toBe('BODY');
        await expect
          .poll(() => page.locator('#alerts-status').textContent(), { timeout: 5_000 })
          .toMatch(/^Litho three, wafer of \d\d:\d\d: Shift lead chose scrap\. It is in the history below\.$/);
        expect(await row.locator('td[data-label="Operator alert"]').textContent()).toMatch(/acknowledged by Shift lead: scrap$/);
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        expect(errors).toEqual([]);
      }, 60_000);
    });
  }

  it('the history filters by station and verdict, pages with the cursor ("Show more"), and focus lands on the first new row', async () => {
    // Prepare: 21 wafers on Etch one, sent as a camera script would (each a different image)
    for (let index = 0; index < 21; index += 1) {
      const wafer = await makeTestWaferImage({ width: 128, height: 128, format: 'png', grey: 60 + index * 4 });
      const response = await fetch(`${stack.url}/inspections?station=e2e-etch-1`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/png' },
        body: new Uint8Array(wafer.bytes),
      });
      expect(response.status).toBe(201);
    }
    const { page, errors } = await openPage(1400, 1000);

    try {
      // Act
      await page.locator('#filter-station').selectOption('e2e-etch-1');
      await page
        .locator('#history-status')
        .filter({ hasText: /^Showing 20 inspections that match the filters\.$/ })
        .waitFor({ timeout: 10_000 });
      const stations = new Set(await page.locator('#history-rows td[data-label="Station"]').allTextContents());
      await page.getByRole('button', { name: 'Show more' }).click();
      await expect.poll(() => page.locator('#history-rows tr').count(), { timeout: 10_000 }).toBe(21);
      const focused = await focusedDescription(page);
      const moreHidden = await page.getByRole('button', { name: 'Show more' }).isHidden();
      await page.locator('#filter-status').selectOption('anomalous');
      await page
        .locator('#history-status')
        .filter({ hasText: /match these filters|that match the filters/ })
        .waitFor({ timeout: 10_000 });
      const verdicts = new Set(await page.locator('#history-rows td[data-label="Verdict"]').allTextContents());

      // Assess
      expect([...stations]).toEqual(['Etch one']);
      expect(focused).toMatch(/^A# Look closer at the wafer of \d\d:\d\d on Etch one$/);
      expect(moreHidden).toBe(true);
      expect([...verdicts].filter((verdict) => verdict !== 'Anomalous')).toEqual([]);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
