import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What a command printed, and how it exited (-1 when it was killed or could not start). */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How a command is run besides its script and arguments. */
export interface ProjectCommandOptions {
  /** Options for tsx (and through it Node) before the script, as the command's npm script gives them. */
  tsxArgs?: string[];
  /** How long it may run before it is killed (its result then has code -1). Default 60 s. */
  timeoutMs?: number;
}

/**
 * Run one of the project's TypeScript commands in a process of its own, as an engineer would (`npx tsx <script> <args>`
 * from the project root), with dummy AWS credentials in us-east-1 and `env` over this process's environment.
 */
export function runProjectCommand(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  { tsxArgs = [], timeoutMs = 60_000 }: ProjectCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', ...tsxArgs, script, ...args],
      {
        cwd: PROJECT_ROOT,
        timeout: timeoutMs,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          AWS_REGION: 'us-east-1',
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}
