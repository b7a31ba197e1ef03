import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_VENDOR_FILES } from '../../../local/page-vendor-files';
import { LOCAL_PAGE_ROOT, pageContentSecurityPolicy, readPageFile, readStaticFile } from '../../../local/static-files';

describe('readStaticFile', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'waferwatch-static-'));
    root = path.join(base, 'site');
    await mkdir(path.join(root, 'img'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html>');
    await writeFile(path.join(root, 'app.js'), 'export {};');
    await writeFile(path.join(root, 'img', 'logo.png'), Buffer.from([0x89, 0x50]));
    await writeFile(path.join(root, '.env'), 'SECRET=1');
    await writeFile(path.join(base, 'outside.txt'), 'outside');
    await mkdir(path.join(base, 'site-other'));
    await writeFile(path.join(base, 'site-other', 'x.txt'), 'sibling');
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('serves index.html for / and files with their content types', async () => {
    // Act
    const index = await readStaticFile(root, '/');
    const script = await readStaticFile(root, '/app.js');
    const image = await readStaticFile(root, '/img/logo.png');

    // Assess
    expect(index).toEqual({ body: Buffer.from('<!doctype html>'), contentType: 'text/html; charset=utf-8' });
    expect(script?.contentType).toBe('text/javascript; charset=utf-8');
    expect(image?.contentType).toBe('image/png');
  });

  it('serves nothing outside the folder, no dotfiles and no directories', async () => {
    // Act
    const attempts = await Promise.all(
      [
        '/../outside.txt',
        '/..%2Foutside.txt',
        '/%2e%2e/outside.txt',
        '/../site-other/x.txt',
        '/.env',
        '/img',
        '/missing.js',
        '/%E0%A4%A',
        '/app.js%00.png',
      ].map((url) => readStaticFile(root, url)),
    );

    // Assess
    expect(attempts).toEqual(attempts.map(() => undefined));
  });
});

describe('readPageFile', () => {
  it("serves the local stack's phone panel under /_local/page/ and the page folder elsewhere", async () => {
    // Act
    const panel = await readPageFile(path.join(LOCAL_PAGE_ROOT, '..', '..', '..', 'static-site'), '/_local/page/phone-panel.js');
    const styles = await readPageFile('/nonexistent-page-folder', '/_local/page/phone-panel.css');
    const page = await readPageFile(path.join(LOCAL_PAGE_ROOT, '..', '..', '..', 'static-site'), '/app.js');

    // Assess
    expect(panel?.contentType).toBe('text/javascript; charset=utf-8');
    expect(panel?.body.toString('utf8')).toContain('export const start');
    expect(styles?.contentType).toBe('text/css; charset=utf-8');
    expect(page?.body.toString('utf8')).toContain('LOCAL_PANEL_URL');
  });

  it("serves nothing of the phone simulator's server code or the rest of local/", async () => {
    // Act
    const attempts = await Promise.all(
      [
        '/_local/page/../phone-simulator.ts',
        '/_local/page/%2e%2e/phone-simulator.ts',
        '/_local/page/..%2Fphone-simulator.ts',
        '/_local/page/../../local-stack.ts',
        '/_local/page/',
      ].map((url) => readPageFile('/nonexistent-page-folder', url)),
    );

    // Assess
    expect(attempts).toEqual(attempts.map(() => undefined));
  });

  it("serves the page's libraries from node_modules at their page paths (PAGE_VENDOR_FILES), and nothing else of node_modules", async () => {
    // Act
    const library = await readPageFile('/nonexistent-page-folder', '/vendor/oidc-client-ts.min.js');
    const attempts = await Promise.all(
      [
        '/vendor/',
        '/vendor/oidc-client-ts.min.js.map',
        '/vendor/../package.json',
        '/node_modules/oidc-client-ts/package.json',
        '/vendor/OIDC-client-ts.min.js',
      ].map((url) => readPageFile('/nonexistent-page-folder', url)),
    );

    // Assess
    expect(Object.keys(PAGE_VENDOR_FILES)).toEqual(['vendor/oidc-client-ts.min.js', 'vendor/uPlot.iife.min.js']);
    expect(PAGE_VENDOR_FILES['vendor/uPlot.iife.min.js']).toMatch(/node_modules\/uplot\/dist\/uPlot\.iife\.min\.js$/);
    expect(PAGE_VENDOR_FILES['vendor/oidc-client-ts.min.js']).toMatch(/node_modules\/oidc-client-ts\/dist\/browser\/oidc-client-ts\.min\.js$/);
    expect(library?.contentType).toBe('text/javascript; charset=utf-8');
    // The browser build: a classic script defining the global `oidc` (static-site/sign-in.js loads it).
    expect(library?.body.toString('utf8')).toMatch(/^"use strict";var oidc=/);
    expect(attempts).toEqual(attempts.map(() => undefined));
  });
});

describe('pageContentSecurityPolicy', () => {
  it('allows only the page origin, the API, blob: previews and data: masks', () => {
    // Act
    const policy = pageContentSecurityPolicy('http://localhost:3000');

    // Assess
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).toContain("img-src 'self' blob: data:");
    expect(policy).toContain("connect-src 'self' http://localhost:3000");
    expect(policy).toContain("frame-ancestors 'none'");
  });
});
