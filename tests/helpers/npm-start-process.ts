import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const READY_LINE = /waferwatch is running at (http:\/\/\S+)/;
const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** `npm start` running in its own process group, as a developer starts it. */
export interface NpmStartProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM the whole group and wait for npm to exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Start `npm start` with `env` over this process's environment; resolves once it printed its URL. */
export async function startNpmStart(env: Record<string, string>, readyTimeoutMs = 45_000): Promise<NpmStartProcess> {
  let output = '';
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a failed test can still stop npm, tsx and node together.
    detached: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within ${readyTimeoutMs} ms; output:\n${output}`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const ready = READY_LINE.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before printing its URL; output:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
