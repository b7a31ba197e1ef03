import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_VENDOR_FILES } from './page-vendor-files';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** A static file ready to send. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/**
 * Read the file a URL path names inside `root` (`/` means index.html), or undefined when there is none.
 * Paths that would leave `root` (`..`, encoded slashes, NUL) are refused, so the page folder is all that is served.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const absoluteRoot = path.resolve(root);
  const filePath = path.resolve(absoluteRoot, `.${path.posix.normalize(relative)}`);
  if (filePath !== absoluteRoot && !filePath.startsWith(`${absoluteRoot}${path.sep}`)) return undefined;
  // Dotfiles (.DS_Store, editor swap files) are not part of the page.
  if (
    path
      .relative(absoluteRoot, filePath)
      .split(path.sep)
      .some((part) => part.startsWith('.'))
  )
    return undefined;
  try {
    const info = await stat(filePath);
    if (!info.isFile()) return undefined;
    return { body: await readFile(filePath), contentType: CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}

/** Where the local stack serves its own additions to the page: the simulated operator phones the page loads when local. */
export const LOCAL_PAGE_PATH = '/_local/page/';

/** Their folder: browser modules and styles only (the phone simulator's server code sits one level up, never served). */
export const LOCAL_PAGE_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'phone', 'page');

/**
 * The file a URL path names for the page on the local stack: under /_local/page/ from LOCAL_PAGE_ROOT, the page's
 * libraries from node_modules (PAGE_VENDOR_FILES, which deploy:site uploads beside the page), anything else from the
 * page folder (`staticRoot`, static-site/).
 */
export async function readPageFile(
  staticRoot: string,
  urlPath: string,
  vendorFiles: Readonly<Record<string, string>> = PAGE_VENDOR_FILES,
): Promise<StaticFile | undefined> {
  if (urlPath.startsWith(LOCAL_PAGE_PATH)) return readStaticFile(LOCAL_PAGE_ROOT, urlPath.slice(LOCAL_PAGE_PATH.length - 1));
  const vendorFile = Object.hasOwn(vendorFiles, urlPath.slice(1)) ? vendorFiles[urlPath.slice(1)] : undefined;
  if (vendorFile !== undefined) return readStaticFile(path.dirname(vendorFile), `/${path.basename(vendorFile)}`);
  return readStaticFile(staticRoot, urlPath);
}

/**
 * The Content-Security-Policy the page is served with locally: everything from its own origin, previews from
 * blob: URLs and anomaly masks from data: URLs, no inline script or style, no framing.
 */
export function pageContentSecurityPolicy(apiOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self' ${apiOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
