import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Files the page loads that are not in static-site/ but come from node_modules, by the page path they are served at
 * (relative to the page, as deploy:site keys them in the site bucket) → the file on disk. The local stack serves them
 * (local/local-stack.ts); `npm run deploy:site` uploads the same files, so the deployed page and the local one run the
 * same library. Only from the page's own origin: the page's CSP allows no other script source.
 */
export const PAGE_VENDOR_FILES: Readonly<Record<string, string>> = {
  // oidc-client-ts's browser build (an IIFE defining `oidc`): sign-in with authorization code + PKCE (static-site/sign-in.js).
  'vendor/oidc-client-ts.min.js': path.join(PROJECT_ROOT, 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js'),
  // uPlot's browser build (an IIFE defining `uPlot`, 51 KB): the stations' charts (static-site/charts.js says why uPlot).
  'vendor/uPlot.iife.min.js': path.join(PROJECT_ROOT, 'node_modules/uplot/dist/uPlot.iife.min.js'),
};
