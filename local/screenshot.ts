// `npm run screenshot`: regenerate the docs' pictures of the page — docs/local-stack.png (1280×900, the whole page) and
// docs/local-stack-phone.png (390×844, what a phone shows without scrolling) — on a fresh local stack with the example
// station registry, signed in as the seeded operator: a normal and a scratched wafer on Litho three, the line operator
// declined, the shift lead is on the call. Uses Debian's Chromium; never downloads a browser.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from './local-stack';

const DESKTOP = { output: path.join(PROJECT_ROOT, 'docs', 'local-stack.png'), viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
const PHONE = { output: path.join(PROJECT_ROOT, 'docs', 'local-stack-phone.png'), viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 };
// Other images for the phone: the same bytes again would be told "already inspected", and ring no one.
const DESKTOP_IMAGES = ['samples/wafer-photos/good/wafer.jpg', 'samples/wafer-photos/anomalous/scratch.jpg'];
const PHONE_IMAGES = ['samples/wafer-photos/good/120_wafer.jpg', 'samples/wafer-photos/anomalous/240_scratch.jpg'];

/** Signed in as the seeded operator (on the local OpenID provider's own page), two wafers on Litho three, level 2 on the call. */
async function ladderOnTheCall(browser: Browser, stack: LocalStack, shot: typeof DESKTOP, images: string[]): Promise<Page> {
  // Reduced motion stops the ringing animation (see styles.css), so the picture is sharp.
  const page = await browser.newPage({ viewport: shot.viewport, deviceScaleFactor: shot.deviceScaleFactor, reducedMotion: 'reduce' });
  await page.goto(stack.url);
  await page.locator('body[data-ready="true"]').waitFor();
  if (stack.auth.mode === 'on') {
    const operator = stack.auth.credentials.users.find((user) => user.group === 'operator');
    if (!operator) throw new Error('The local stack seeded no operator.');
    await page.getByRole('button', { name: 'Sign in' }).first().click();
    await page.getByLabel('Username').fill(operator.username);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-signed-in="true"][data-ready="true"]').waitFor();
  }
  await page.locator('#station-select').selectOption('litho-3');
  await page.getByLabel('Choose wafer images').setInputFiles(images.map((file) => path.join(PROJECT_ROOT, file)));
  await page.locator('.batch[data-done="true"]').first().waitFor({ timeout: 30_000 });
  const declines = page.locator('li.call-panel[data-state="ringing"]', { hasText: 'Line operator' }).getByRole('button', { name: /^Decline/ });
  await declines.first().waitFor({ timeout: 15_000 });
  await declines.first().click();
  await page
    .locator('li.call-panel[data-state="ringing"]', { hasText: 'Shift lead' })
    .getByRole('button', { name: /^Answer/ })
    .first()
    .click({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Key 1' }).and(page.locator(':enabled')).first().waitFor({ timeout: 10_000 });
  await page.locator('#alerts .alert-card .ladder-step').nth(1).waitFor({ timeout: 10_000 });
  await page.locator('.station-chart').first().waitFor({ timeout: 10_000 });
  // Let the confidence bars finish their transition and the charts their first drawing.
  await page.waitForTimeout(800);
  return page;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-screenshot-'));
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    env: {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      DETECTOR: process.env.DETECTOR,
      STATIONS_FILE: path.join(PROJECT_ROOT, 'examples', 'stations.json'),
      RING_TIMEOUT_SECONDS: '300',
      ACK_TIMEOUT_SECONDS: '300',
      STATION_CALL_COOLDOWN_SECONDS: '0',
    },
  });
  const browser = await launchChromium();
  try {
    const desktop = await ladderOnTheCall(browser, stack, DESKTOP, DESKTOP_IMAGES);
    await desktop.screenshot({ path: DESKTOP.output, fullPage: true });
    console.log(`wrote ${path.relative(process.cwd(), DESKTOP.output)}`);
    const phone = await ladderOnTheCall(browser, stack, PHONE, PHONE_IMAGES);
    await phone.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await phone.screenshot({ path: PHONE.output });
    console.log(`wrote ${path.relative(process.cwd(), PHONE.output)}`);
  } finally {
    await browser.close();
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
