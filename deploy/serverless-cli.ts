/**
 * Run the Serverless Framework (osls, with serverless-esbuild) with TMPDIR pointed at a folder of its own, removed
 * afterwards: `npm run package` and `npm run deploy` go through here.
 *
 * serverless-esbuild stages every function's zip in a folder under the OS temp dir and never removes it: its release
 * removes the folder non-recursively and swallows the failure (floydspace/serverless-esbuild#589). That left about
 * 640 MB in /tmp per packaging here, one folder per function, on every run of the tests too, and a deploy packages
 * again.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** osls's command line script. */
export const OSLS_CLI = path.join(path.dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');

/**
 * Run `cli` (a Node script; osls by default) with `args`, its output on this process's, and resolve with its exit code
 * once the temp folder it was given is gone. Non-interactive, without telemetry or notifications.
 */
export async function runServerless(args: readonly string[], cli: string = OSLS_CLI): Promise<number> {
  const staging = await mkdtemp(path.join(os.tmpdir(), 'waferwatch-serverless-'));
  // Ctrl-C reaches the child too (same process group): wait for it to stop, then clean up.
  const ignore = () => undefined;
  process.on('SIGINT', ignore).on('SIGTERM', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
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
    process.off('SIGINT', ignore).off('SIGTERM', ignore);
    await rm(staging, { recursive: true, force: true });
  }
}
