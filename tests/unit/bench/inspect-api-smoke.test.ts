import { describe, expect, it } from 'vitest';
import { runProjectCommand } from '../../helpers/project-command';

/** One round of the repo's 30 samples, scaled up to the photos' size, on a stack of its own. */
const BENCHMARK_TIMEOUT_MS = 90_000;

/** Run bench/inspect-api.ts as `npm run` does, in its own process (one local stack per process). */
function runBenchmark(args: string[]) {
  return runProjectCommand('bench/inspect-api.ts', args, {}, { tsxArgs: ['--openssl-legacy-provider'], timeoutMs: BENCHMARK_TIMEOUT_MS });
}

const NUMBER = String.raw`\d+\.\d`;

describe('npm run bench:inspect-api (smoke)', () => {
  it(
    "times one round of the samples at the photos' size and reads the goal five ways, with each folder's steps from Server-Timing",
    { timeout: BENCHMARK_TIMEOUT_MS + 5_000 },
    async () => {
      // Act
      const { code, stdout, stderr } = await runBenchmark(['--rounds', '1', '--repeat', '1']);

      // Assess
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain("The repo's samples scaled up to the photos' size, 1732x1750");
      expect(stdout).toMatch(/POST \/inspections vs full JPEG decode: 30 images \(1732x1750, /);
      expect(stdout).toMatch(
        new RegExp(String.raw`run 1: API p50 ${NUMBER} ms \(p95 ${NUMBER}\)   decode p50 ${NUMBER} ms \(${NUMBER} ignoring ICC profiles\)`),
      );
      expect(stdout).toMatch(new RegExp(String.raw`good p50 ${NUMBER} ms   anomalous p50 ${NUMBER} ms`));
      // The steps come from the answers' Server-Timing headers, through the local API gateway: every upload reports
      // its decode, detection and record; the defective wafers' folder also the station cooldown decision.
      const table = stdout.slice(stdout.indexOf('where the time went')).split('\n');
      const steps = (folder: string) => table.find((line) => line.trim().startsWith(`${folder} `)) ?? '';
      for (const step of ['API', 'checks', 'decode', 'detect', 'record', 'total']) {
        expect(steps('good')).toMatch(new RegExp(String.raw`${step} ${NUMBER}`));
        expect(steps('anomalous')).toMatch(new RegExp(String.raw`${step} ${NUMBER}`));
      }
      expect(steps('anomalous')).toMatch(new RegExp(String.raw`cooldown ${NUMBER}`));
      expect(steps('good')).not.toContain('cooldown');
      expect(stdout).toMatch(/median of 1 runs: .* ratio \d+\.\d\dx \(goal: at most 3x\)/);
      expect(stdout).toMatch(/ignoring embedded ICC profiles \(as the inspection's own decode does\): ratio \d+\.\d\dx/);
      expect(stdout).toMatch(/upload by upload, against its own JPEG's decode: p50 of the ratios \d+\.\d\dx \(\d+\.\d\dx ignoring ICC profiles\)/);
      expect(stdout).toMatch(
        /image by image, the p50 of its uploads against the p50 of its decodes: at most 3x for \d+ of \d+ images \(ratios \d+\.\d\d-\d+\.\d\dx, median \d+\.\d\dx\)/,
      );
      expect(stdout).toMatch(
        new RegExp(
          String.raw`each folder on its own, all runs: good \d+\.\d\dx \(API p50 ${NUMBER} ms, decode p50 ${NUMBER} ms\)   anomalous \d+\.\d\dx \(API p50 ${NUMBER} ms, decode p50 ${NUMBER} ms\)`,
        ),
      );
    },
  );
});
