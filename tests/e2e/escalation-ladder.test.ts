import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../local/chromium';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from '../../local/local-stack';

const STATION = 'e2e-litho-3';
const STATIONS = {
  stations: [
    {
      id: STATION,
      name: 'Litho three',
      escalation: [
        { name: 'Line operator', phone: '+15555550100' },
        { name: 'Shift lead', phone: '+15555550101' },
      ],
    },
  ],
};

interface LocalCall {
  contactId: string;
  status: string;
  attributes: Record<string, string>;
}

/**
 * The escalation ladder on the page, with a station registry (STATIONS_FILE): a call per rung of the ladder, each in
 * its own panel, and the inspection card following the ladder until someone acknowledges or nobody did. A level that
 * declines or hangs up is followed by the next at once (contact events) or after ACK_TIMEOUT_SECONDS at the latest.
 */
describe('escalation ladder on the upload page', () => {
  let stack: LocalStack;
  let folder: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-e2e-ladder-'));
    const stationsFile = path.join(folder, 'stations.json');
    await writeFile(stationsFile, JSON.stringify(STATIONS));
    stack = await startLocalStack({
      port: 0,
      dataDir: path.join(folder, '.data'),
      // An unacknowledged ladder is logged as an error by design; the assertions say what matters.
      env: {
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        STATIONS_FILE: stationsFile,
        ACK_TIMEOUT_SECONDS: '6',
        ESCALATION_LOOPS: '1',
        STATION_CALL_COOLDOWN_SECONDS: '0',
        WAFERWATCH_AUTH: 'off',
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
    // With a station registry, the station is picked from it.
    await page.locator('#station-select').selectOption(STATION);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Upload one sample and wait for its verdict; its card. */
  async function upload(sample: string): Promise<{ card: Locator; inspectionId: string }> {
    await page.getByLabel('Choose wafer images').setInputFiles(path.join(PROJECT_ROOT, 'samples/wafer-photos/anomalous', sample));
    const card = page.locator('li.result', { hasText: sample }).and(page.locator('[data-state="anomalous"]'));
    await card.waitFor({ timeout: 20_000 });
    return { card, inspectionId: (await card.getAttribute('data-inspection-id'))! };
  }

  /** The panel of the call ringing `contactName` about an inspection, once the page shows it. */
  async function ringingPanel(inspectionId: string, contactName: string): Promise<{ panel: Locator; call: LocalCall }> {
    let call: LocalCall | undefined;
    await expect
      .poll(
        async () => {
          const calls = ((await (await fetch(`${stack.url}/_local/calls`)).json()) as { calls: LocalCall[] }).calls;
          call = calls.find(
            (placed) => placed.attributes.inspectionId === inspectionId && placed.attributes.contactName === contactName && placed.status === 'initiated',
          );
          return call !== undefined;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const panel = page.locator(`li.call-panel[data-contact-id="${call!.contactId}"]`);
    await panel.waitFor({ timeout: 5_000 });
    return { panel, call: call! };
  }

  it('a declined level 1 rings level 2, whose person answers and scraps the wafer: the card tells the whole ladder', async () => {
    // Prepare
    const { card, inspectionId } = await upload('120_scratch.jpg');
    const first = await ringingPanel(inspectionId, 'Line operator');
    await expect.poll(() => card.locator('.alert-line').textContent(), { timeout: 5_000 }).toBe('Ringing level 1 (Line operator)');

    // Act
    const firstTitle = await first.panel.locator('.call-title').textContent();
    await first.panel.getByRole('button', { name: 'Decline' }).click();
    await first.panel.waitFor({ state: 'detached', timeout: 5_000 });
    const second = await ringingPanel(inspectionId, 'Shift lead');
    const secondTitle = await second.panel.locator('.call-title').textContent();
    await expect.poll(() => card.locator('.alert-line').textContent(), { timeout: 5_000 }).toContain('ringing level 2 (Shift lead)');
    await second.panel.getByRole('button', { name: 'Answer' }).click();
    await second.panel.getByRole('button', { name: 'Key 2' }).and(page.locator(':enabled')).waitFor({ timeout: 5_000 });
    const heard = await second.panel.locator('.call-prompt').textContent();
    await second.panel.getByRole('button', { name: 'Key 2' }).click();
    await second.panel.waitFor({ state: 'detached', timeout: 10_000 });

    // Assess
    expect(firstTitle).toBe('Level 1 · Line operator');
    expect(secondTitle).toBe('Level 2 · Shift lead');
    expect(heard).toContain('Litho three flagged a wafer.');
    await expect
      .poll(() => card.locator('.alert-line').textContent(), { timeout: 5_000 })
      .toMatch(/^Ringing level 1 \(Line operator\) → .+ → ringing level 2 \(Shift lead\) → acknowledged by Shift lead: scrap$/);
    await expect
      .poll(() => page.locator(`#call-log li[data-contact-id="${first.call.contactId}"]`).textContent(), { timeout: 5_000 })
      .toMatch(/^Level 1 · Line operator \(Litho three\): declined/);
    await expect
      .poll(() => page.locator(`#call-log li[data-contact-id="${second.call.contactId}"]`).textContent(), { timeout: 5_000 })
      .toContain('decided: scrap');
    const record = (await (await fetch(`${stack.url}/inspections/${inspectionId}`)).json()) as {
      alert: { status: string; acknowledgedBy: { contactName: string; key: string } };
      decision: { decision: string };
    };
    expect(record.alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: { contactName: 'Shift lead', key: '2' } });
    expect(record.decision.decision).toBe('scrap');
    expect(pageErrors).toEqual([]);
  });

  it('a ladder nobody acknowledges ends unacknowledged, and the card says so', async () => {
    // Prepare
    const { card, inspectionId } = await upload('120_particle.jpg');
    const first = await ringingPanel(inspectionId, 'Line operator');

    // Act: level 1 answers and hangs up without a key; level 2 is left ringing
    await first.panel.getByRole('button', { name: 'Answer' }).click();
    await first.panel.getByRole('button', { name: 'Hang up' }).and(page.locator(':enabled')).waitFor({ timeout: 5_000 });
    await first.panel.getByRole('button', { name: 'Hang up' }).click();
    await first.panel.waitFor({ state: 'detached', timeout: 5_000 });
    await ringingPanel(inspectionId, 'Shift lead');

    // Assess
    await expect.poll(() => card.locator('.alert-line').textContent(), { timeout: 20_000 }).toMatch(/nobody acknowledged after one round of calls$/);
    await expect
      .poll(() => page.locator(`#call-log li[data-contact-id="${first.call.contactId}"]`).textContent(), { timeout: 5_000 })
      .toContain('hung up without pressing a key');
    expect(pageErrors).toEqual([]);
  });
});
