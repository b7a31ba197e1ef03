import { describe, expect, it } from 'vitest';
import { runProjectCommand } from '../../helpers/project-command';

/** How long one benchmark process may take: two tiny runs, each waiting for the operator to acknowledge its calls. */
const BENCHMARK_TIMEOUT_MS = 45_000;

/** Run bench/load.ts as `npm run` does, in its own process (one local stack per process). */
function runBenchmark(args: string[]) {
  return runProjectCommand(
    'bench/load.ts',
    args,
    { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    { tsxArgs: ['--openssl-legacy-provider'], timeoutMs: BENCHMARK_TIMEOUT_MS },
  );
}

describe('npm run bench:load (smoke)', () => {
  it(
    'uploads 12 wafers at concurrency 1 and 4 to a stack of its own, answers every call with key 1 and reconciles both runs',
    { timeout: BENCHMARK_TIMEOUT_MS + 5_000 },
    async () => {
      // Act: the operator picks up after 500 ms rather than 2 s, to keep the smoke run short.
      const { code, stdout, stderr } = await runBenchmark(['--uploads', '12', '--concurrency', '1,4', '--max-seconds', '20', '--answer-after-ms', '500']);

      // Assess
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\| 1 \| 12 \| 12 \| 0 \| /m);
      expect(stdout).toMatch(/^\| 4 \| 12 \| 12 \| 0 \| /m);
      expect(stdout).not.toContain('MISMATCH');
      expect(stdout).toContain('reconciliation OK for every run');
      // Both runs' calls are checked against their own anomalous records (12 uploads of 30 samples: some of each), on
      // stations of their own, once the alert queue has settled every anomalous alert.
      const calls = [...stdout.matchAll(/calls = expected by the policy\s+expected (\d+), got (\d+)/g)].map((match) => [Number(match[1]), Number(match[2])]);
      expect(calls).toHaveLength(2);
      for (const [expected, got] of calls) {
        expect(got).toBe(expected);
        expect(expected).toBeGreaterThan(0);
      }
      expect([...stdout.matchAll(/anomalous alerts still queued\s+expected 0, got 0/g)]).toHaveLength(2);
      // The simulated operator acknowledged every alert that rang, and each run says how long its calls took to ring
      // and to be acknowledged from their uploads' answers.
      expect([...stdout.matchAll(/rung alerts not acknowledged by the key\s+expected 0, got 0/g)]).toHaveLength(2);
      const rings = [...stdout.matchAll(/time-to-ring \(upload answered → its call rang\), (\d+) calls: p50 (-?[\d.]+) s {3}p95 (-?[\d.]+) s/g)];
      expect(rings.map((match) => Number(match[1]))).toEqual(calls.map(([expected]) => expected));
      const acks = [...stdout.matchAll(/time-to-ack \(upload answered → key 1 acknowledged it\), (\d+) of (\d+) alerts that rang: p50 ([\d.]+) s/g)];
      expect(acks).toHaveLength(2);
      for (const match of acks) {
        expect(match[1]).toBe(match[2]);
        // Answered 500 ms after ringing at the earliest.
        expect(Number(match[3])).toBeGreaterThanOrEqual(0.5);
      }
      expect(stdout).toMatch(/^\| 1 \| 12 \| 12 \| 0 \| .*\| (met|NOT met) \| [\d.]+ \| (\d+)\/\2 \| OK \|$/m);
      const stations = [...stdout.matchAll(/uploads from (bench-[0-9a-f]{6}-r\d+c\d+)-1…16/g)].map((match) => match[1]);
      expect(stations).toHaveLength(2);
      expect(new Set(stations).size).toBe(2);
    },
  );

  it('refuses a non-loopback target with exit code 2 before sending anything', { timeout: BENCHMARK_TIMEOUT_MS + 5_000 }, async () => {
    // Act
    const { code, stdout, stderr } = await runBenchmark(['--url', 'http://192.0.2.1:3000', '--s3-endpoint', 'http://127.0.0.1:1']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--url must be a loopback address');
    expect(stdout).toBe('');
  });
});
