import { describe, expect, it } from 'vitest';
import { runProjectCommand } from '../../helpers/project-command';

/** Building the inspect bundle, a stack of its own, and two fresh processes of the bundle. */
const BENCHMARK_TIMEOUT_MS = 90_000;

/** Run bench/cold-start.ts as `npm run` does, in its own process (one local stack per process). */
function runBenchmark(args: string[]) {
  return runProjectCommand('bench/cold-start.ts', args, {}, { tsxArgs: ['--openssl-legacy-provider'], timeoutMs: BENCHMARK_TIMEOUT_MS });
}

describe('npm run bench:cold-start (smoke)', () => {
  it(
    "builds the inspect bundle, answers its requests from fresh processes and prints each of the goal's timings",
    { timeout: BENCHMARK_TIMEOUT_MS + 5_000 },
    async () => {
      // Act
      const { code, stdout, stderr } = await runBenchmark(['--runs', '1']);

      // Assess: the probe refuses any answer but 201, so a run line means every request was inspected.
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/inspect bundle \(built from serverless\.yml custom\.esbuild\): \d+\.\d\d MB; 1 fresh processes/);
      expect(stdout).toMatch(/run 1: import \d+ ms, model loaded at \d+ ms, first answer at \d+ ms .*switching station's first \d+ ms/);
      expect(stdout).toMatch(/initialisation with the model\s+\d+ ms\s+\(goal: under 150 ms\)/);
      expect(stdout).toMatch(/station switching to a model not yet loaded \d+ ms \(warm \d+ ms: \+-?\d+ ms\)/);
    },
  );
});
