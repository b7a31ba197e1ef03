import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../local/chromium';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { devCredentials } from '../helpers/local-sign-in';
import { makeTestWaferImage } from '../helpers/test-wafer-images';

const SETTLED = '[data-state="normal"], [data-state="anomalous"], [data-state="not-inspected"], [data-state="failed"]';

/** Sign-in is on (WAFERWATCH_AUTH's default): the page signs a seeded user in at the local OpenID provider and out again. */
describe('signing in and out on the page', () => {
  let stack: LocalStack;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const apiRequests: Array<{ url: string; authorization?: string; apiKey?: string }> = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-sign-in-'));
    stack = await startLocalStack({ port: 0, dataDir, env: { POWERTOOLS_LOG_LEVEL: 'WARN' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 820 } });
    // Any script error or Content-Security-Policy violation on the page (or the provider's pages) fails the test.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/inspections')) {
        const headers = request.headers();
        apiRequests.push({
          url: url.pathname,
          ...(headers.authorization ? { authorization: headers.authorization } : {}),
          ...(headers['x-api-key'] ? { apiKey: headers['x-api-key'] } : {}),
        });
      }
    });
    await page.goto(stack.url);
    await page.locator('body[data-ready="true"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shows only the way to sign in while nobody is signed in: no upload form, no history', async () => {
    // Assess
    expect(await page.locator('body').getAttribute('data-signed-in')).toBe('false');
    expect(await page.locator('#account-name').textContent()).toBe('Not signed in');
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.locator('.upload-panel').isVisible()).toBe(false);
    expect(await page.locator('.history-panel').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    expect(apiRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('signs in a seeded operator from dev-credentials.json with a wrong password first, then the right one', async () => {
    // Prepare
    const credentials = await devCredentials(dataDir);
    const operator = credentials.users.find((user) => user.group === 'operator')!;

    // Act: the provider's own sign-in page, a wrong password, then the right one
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Username').waitFor();
    const signInPage = new URL(page.url());
    await page.getByLabel('Username').fill(operator.username);
    await page.getByLabel('Password').fill(`${operator.password}x`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = await page.getByRole('alert').textContent();
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-signed-in="true"]').waitFor({ timeout: 10_000 });

    // Assess
    expect(signInPage.origin).toBe(new URL(stack.url).origin);
    expect(signInPage.pathname).toMatch(/^\/_local\/identity\/interaction\//);
    expect(refusal).toBe('The username or password is not right. Try again.');
    expect(await page.locator('#account-name').textContent()).toBe('Signed in as Local operator (operator)');
    // Back on the page, the code and state are gone from the address.
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.locator('.upload-panel').isVisible()).toBe(true);
    expect(await page.locator('#signed-out').isVisible()).toBe(false);
    await page
      .locator('#history-status')
      .filter({ hasText: /No inspections yet|Showing/ })
      .waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('uploads a wafer as the signed-in person and shows its verdict; every API call carries the ID token, never a key', async () => {
    // Prepare
    const wafer = await makeTestWaferImage({ width: 256, height: 256, format: 'jpeg' });

    // Act
    await page.getByLabel('Choose wafer images').setInputFiles({ name: 'signed-in.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(wafer.bytes) });
    const card = page.locator('li.result', { hasText: 'signed-in.jpg' });
    await card.and(page.locator(SETTLED)).waitFor({ timeout: 20_000 });
    const inspectionId = await card.getAttribute('data-inspection-id');
    await page.locator(`#history-rows tr[data-inspection-id="${inspectionId}"]`).waitFor({ timeout: 10_000 });

    // Assess
    expect(['normal', 'anomalous']).toContain(await card.getAttribute('data-state'));
    expect(await card.locator('.verdict').textContent()).toMatch(/^(Normal|Anomalous)$/);
    expect(inspectionId).toMatch(/^[0-9A-Z]{26}$/);
    expect(apiRequests.length).toBeGreaterThanOrEqual(2);
    for (const request of apiRequests) {
      expect(request.authorization, request.url).toMatch(/^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(request.apiKey, request.url).toBeUndefined();
    }
    expect(pageErrors).toEqual([]);
  });

  it('signs out at the provider and comes back signed out: the token is forgotten and the upload form gone', async () => {
    // Act
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign out of waferwatch?' }).waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.locator('body[data-signed-in="false"]').waitFor({ timeout: 10_000 });
    const stored = await page.evaluate(() => Object.keys((globalThis as unknown as { sessionStorage: Record<string, string> }).sessionStorage));

    // Assess
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.locator('#account-name').textContent()).toBe('Not signed in');
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.locator('.upload-panel').isVisible()).toBe(false);
    expect(stored.filter((key) => key.startsWith('oidc.user:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('asks for the password again after signing out (the provider session ended too), and cancelling says so on the page', async () => {
    // Act
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Password').waitFor();
    const signInPage = new URL(page.url()).pathname;
    const username = await page.getByLabel('Username').inputValue();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.locator('body[data-signed-in="false"][data-ready="true"]').waitFor({ timeout: 10_000 });

    // Assess
    expect(signInPage).toMatch(/^\/_local\/identity\/interaction\//);
    expect(username).toBe('');
    expect(page.url()).toBe(`${stack.url}/`);
    expect(await page.locator('#signed-out-message').textContent()).toBe('The sign-in was cancelled.');
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('signs in on the page opened at 127.0.0.1 too (the provider on localhost sends the browser back there), and asks again once the API refuses the token', async () => {
    // Prepare
    const credentials = await devCredentials(dataDir);
    const admin = credentials.users.find((user) => user.group === 'admin')!;
    const byAddress = stack.url.replace('//localhost:', '//127.0.0.1:');
    const other = await browser.newPage();
    const otherErrors: string[] = [];
    other.on('pageerror', (error) => otherErrors.push(error.message));
    other.on('console', (message) => {
      if (message.type() === 'error') otherErrors.push(message.text());
    });

    try {
      // Act
      await other.goto(byAddress);
      await other.locator('body[data-ready="true"]').waitFor();
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByLabel('Username').fill(admin.username);
      await other.getByLabel('Password').fill(admin.password);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.locator('body[data-signed-in="true"]').waitFor({ timeout: 10_000 });
      await other
        .locator('#history-status')
        .filter({ hasText: /Showing|No inspections yet/ })
        .waitFor();

      const signedInAs = await other.locator('#account-name').textContent();
      // The API stops taking the stored token (as when it expires): the page asks the person to sign in again.
      await other.evaluate(() => {
        const storage = (globalThis as unknown as { sessionStorage: Storage }).sessionStorage;
        const key = Object.keys(storage).find((name) => name.startsWith('oidc.user:'))!;
        storage.setItem(key, JSON.stringify({ ...JSON.parse(storage.getItem(key)!), id_token: 'eyJhbGciOiJub25lIn0.e30.' + 'x' }));
      });
      await other.reload();
      await other.locator('body[data-signed-in="false"]').waitFor({ timeout: 10_000 });

      // Assess
      expect(other.url()).toBe(`${byAddress}/`);
      expect(signedInAs).toBe('Signed in as Local admin (admin)');
      expect(await other.locator('#signed-out-message').textContent()).toBe('Your sign-in has expired. Sign in again to go on.');
      expect(await other.locator('.upload-panel').isVisible()).toBe(false);
      // The refused token is forgotten; the only console error is the API's 401 for it.
      expect(
        await other.evaluate(() =>
          Object.keys((globalThis as unknown as { sessionStorage: Storage }).sessionStorage).filter((name) => name.startsWith('oidc.user:')),
        ),
      ).toEqual([]);
      expect(otherErrors.filter((error) => !error.includes('401'))).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
