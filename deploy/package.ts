/**
 * `npm run package`: `sls package` (osls with serverless-esbuild), offline, for the dev stage; extra arguments are passed on.
 *
 * It runs with TMPDIR pointed at a folder of its own, removed afterwards. serverless-esbuild stages every function's
 * zip in a folder under the OS temp dir and never removes it: its release removes the folder non-recursively and
 * swallows the failure (floydspace/serverless-esbuild#589). That left about 640 MB in /tmp per packaging here, one
 * folder per function, on every run of the tests too.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const serverless = path.join(path.dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');

const staging = await mkdtemp(path.join(os.tmpdir(), 'waferwatch-package-'));
// Ctrl-C reaches the packaging too (same process group): wait for it to stop, then clean up.
const ignore = () => undefined;
process.on('SIGINT', ignore).on('SIGTERM', ignore);
try {
  process.exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [serverless, 'package', '--stage', 'dev', ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        TMPDIR: staging,
      },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await rm(staging, { recursive: true, force: true });
}
