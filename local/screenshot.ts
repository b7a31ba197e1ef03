// `npm run screenshot`: regenerate docs/local-stack.png — the upload page on a fresh local stack with the example station
// registry, signed in as the seeded operator, after a normal and an anomalous wafer: the line operator declined, the
// shift lead is on the call. Uses Debian's Chromium; never downloads a browser.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium } from './chromium';
import { PROJECT_ROOT, startLocalStack } from './local-stack';

const OUTPUT = path.join(PROJECT_ROOT, 'docs', 'local-stack.png');
const IMAGES = ['samples/wafer-photos/good/wafer.jpg', 'samples/wafer-photos/anomalous/scratch.jpg'].map((file) => path.join(PROJECT_ROOT, file));

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
    },
  });
  const browser = await launchChromium();
  try {
    // A landscape tablet, as at the line.
    // Reduced motion stops the ringing animation (see styles.css), so the picture is sharp.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
    // Signed in as the seeded operator, on the local OpenID provider's own page, as a person at the line would be.
    if (stack.auth.mode === 'on') {
      const operator = stack.auth.credentials.users.find((user) => user.group === 'operator');
      if (!operator) throw new Error('The local stack seeded no operator.');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Username').fill(operator.username);
      await page.getByLabel('Password').fill(operator.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('body[data-signed-in="true"][data-ready="true"]').waitFor();
    }
    await page.getByLabel('Station').fill('litho-3');
    await page.getByLabel('Station').dispatchEvent('change');
    await page.getByLabel('Choose wafer images').setInputFiles(IMAGES);
    await page.locator('li.result[data-state="anomalous"]').waitFor({ timeout: 30_000 });
    await page.locator('li.result[data-state="normal"]').waitFor({ timeout: 30_000 });
    // The line operator declines: the shift lead (level 2) rings at once, and picks up, so the picture shows the ladder
    // on the card, what the operator hears and the keys waiting for an answer.
    await page.locator('li.call-panel[data-state="ringing"]').first().waitFor({ timeout: 10_000 });
    await page
      .locator('li.call-panel')
      .first()
      .getByRole('button', { name: /^Decline/ })
      .click();
    await page.locator('li.call-panel[data-state="ringing"]', { hasText: 'Shift lead' }).waitFor({ timeout: 15_000 });
    await page
      .locator('li.call-panel', { hasText: 'Shift lead' })
      .getByRole('button', { name: /^Answer/ })
      .click();
    await page.getByRole('button', { name: /Key 1/ }).and(page.locator(':enabled')).first().waitFor({ timeout: 10_000 });
    await page.locator('#history-rows tr').nth(1).waitFor({ timeout: 10_000 });
    // Let the confidence bars finish their transition.
    await page.waitForTimeout(600);
    await page.screenshot({ path: OUTPUT, fullPage: true });
    console.log(`wrote ${path.relative(process.cwd(), OUTPUT)}`);
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
