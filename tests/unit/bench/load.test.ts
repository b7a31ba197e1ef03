import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countErrors,
  CURRENT_CALL_POLICY,
  DEFAULT_BUCKET,
  expectedCallCount,
  LoadArgumentError,
  parseLoadArgs,
  percentile,
  planUploads,
  reconcile,
  summarizeLatencies,
  withJpegComment,
  type RecordSummary,
  type UploadResult,
} from '../../../bench/load-benchmark';
import { validateWaferImage } from '../../../functions/core/validate-wafer-image';

const SAMPLE = path.resolve(__dirname, '../../../samples/wafer-photos/anomalous/scratch.jpg');
const LIMITS = { maxBytes: 4 * 1024 * 1024, minSide: 64, maxSide: 4096 };

function record(inspectionId: string, overrides: Partial<RecordSummary> = {}): RecordSummary {
  return { inspectionId, stationId: 'litho-1', status: 'anomalous', createdAt: '2026-11-26T10:00:00.000Z', sha256: `sha-${inspectionId}`, ...overrides };
}

function accepted(inspectionId: string): UploadResult {
  return { status: 201, latencyMs: 10, inspectionId, imageKey: `inspections/2026/11/26/${inspectionId}.jpg` };
}

describe('parseLoadArgs', () => {
  it('defaults to 500 uploads at concurrency 1, 8 and 32 against a stack of its own', () => {
    // Act
    const options = parseLoadArgs([]);

    // Assess
    expect(options).toEqual({
      uploads: 500,
      concurrencies: [1, 8, 32],
      maxSeconds: 300,
      bucket: DEFAULT_BUCKET,
      seed: 1,
      stations: 4,
      sameBytes: false,
      settleSeconds: 10,
      keepData: false,
    });
  });

  it('reads every option, and a running stack on loopback with its S3 endpoint', () => {
    // Act
    const options = parseLoadArgs([
      '--uploads', '12', '--concurrency', '1, 4', '--max-seconds', '20', '--url', 'http://localhost:3000/',
      '--s3-endpoint', 'http://127.0.0.1:4569', '--seed', '7', '--stations', '2', '--same-bytes', '--settle-seconds', '0', '--keep-data',
    ]);

    // Assess
    expect(options).toMatchObject({ uploads: 12, concurrencies: [1, 4], maxSeconds: 20, url: 'http://localhost:3000', s3Endpoint: 'http://127.0.0.1:4569', seed: 7, stations: 2, sameBytes: true, settleSeconds: 0, keepData: true });
  });

  it.each([
    [['--uploads', '0'], /--uploads must be between 1/],
    [['--uploads', '1e3'], /--uploads must be a whole number/],
    [['--concurrency', '1,,8'], /--concurrency must be a whole number/],
    [['--concurrency', '2000'], /--concurrency must be between 1 and 1024/],
    [['--url', 'http://10.0.0.5:3000', '--s3-endpoint', 'http://127.0.0.1:1'], /--url must be a loopback address/],
    [['--url', 'https://localhost:3000', '--s3-endpoint', 'http://127.0.0.1:1'], /--url must be http:\/\//],
    [['--url', 'http://localhost:3000'], /--url needs --s3-endpoint/],
    [['--s3-endpoint', 'http://127.0.0.1:1'], /--s3-endpoint only applies with --url/],
    [['--uploadz', '3'], /uploadz/],
  ])('refuses %j by name', (args, message) => {
    // Act
    const parse = () => parseLoadArgs(args);

    // Assess
    expect(parse).toThrow(LoadArgumentError);
    expect(parse).toThrow(message);
  });
});

describe('percentile and summarizeLatencies', () => {
  it('take the nearest rank, so p99 of 100 values is the 99th and never past the end', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, index) => index + 1);

    // Act / Assess
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100), percentile(values, 0)]).toEqual([50, 95, 99, 100, 1]);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('sort the latencies first, whatever order the workers finished in', () => {
    // Act
    const summary = summarizeLatencies([30, 10, 20, 1000, 40]);

    // Assess
    expect(summary).toEqual({ p50: 30, p95: 1000, p99: 1000, max: 1000 });
  });
});

describe('planUploads', () => {
  it('is the same for the same seed, and sends every sample once per cycle from a few stations', () => {
    // Act
    const plan = planUploads({ uploads: 65, samples: 30, stations: 3, seed: 5 });
    const again = planUploads({ uploads: 65, samples: 30, stations: 3, seed: 5 });
    const otherSeed = planUploads({ uploads: 65, samples: 30, stations: 3, seed: 6 });

    // Assess
    expect(again).toEqual(plan);
    expect(otherSeed).not.toEqual(plan);
    expect(plan.map((upload) => upload.index)).toEqual(Array.from({ length: 65 }, (_, index) => index));
    for (const cycle of [plan.slice(0, 30), plan.slice(30, 60)]) {
      expect(cycle.map((upload) => upload.sampleIndex).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, index) => index));
    }
    expect(new Set(plan.map((upload) => upload.stationId))).toEqual(new Set(['bench-1', 'bench-2', 'bench-3']));
  });
});

describe('withJpegComment', () => {
  it('makes a different image (sha256) with the same size that the product still accepts', async () => {
    // Prepare
    const jpeg = await readFile(SAMPLE);

    // Act
    const original = await validateWaferImage(jpeg, LIMITS);
    const commented = await validateWaferImage(withJpegComment(jpeg, 'waferwatch bench upload=1'), LIMITS);
    const otherComment = await validateWaferImage(withJpegComment(jpeg, 'waferwatch bench upload=2'), LIMITS);

    // Assess
    expect([commented.width, commented.height, commented.format]).toEqual([original.width, original.height, 'jpeg']);
    expect(new Set([original.sha256, commented.sha256, otherComment.sha256]).size).toBe(3);
  });

  it('refuses bytes that are not a JPEG', () => {
    // Act / Assess
    expect(() => withJpegComment(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'x')).toThrow(/Not a JPEG/);
  });
});

describe('countErrors', () => {
  it('counts non-201 answers by status and code, and socket failures as network', () => {
    // Prepare
    const results: UploadResult[] = [
      accepted('A'),
      { status: 503, latencyMs: 5, errorCode: 'DETECTOR_UNAVAILABLE' },
      { status: 503, latencyMs: 5, errorCode: 'DETECTOR_UNAVAILABLE' },
      { status: 0, latencyMs: 5, errorCode: 'ECONNRESET' },
      { status: 502, latencyMs: 5 },
    ];

    // Act
    const counts = countErrors(results);

    // Assess
    expect([...counts]).toEqual([['502 no-code', 1], ['503 DETECTOR_UNAVAILABLE', 2], ['network ECONNRESET', 1]]);
  });
});

describe('expectedCallCount', () => {
  it('today: one call per anomalous inspection, none for normal or needs-review', () => {
    // Prepare
    const records = [record('A'), record('B'), record('C', { status: 'normal' }), record('D', { status: 'needs-review' }), record('E', { sha256: 'sha-A' })];

    // Act / Assess
    expect(expectedCallCount(records, CURRENT_CALL_POLICY)).toBe(3);
  });

  it('with a cooldown: one call per station per cooldown window, counted from the last call', () => {
    // Prepare
    const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
    const records = [
      record('A', { createdAt: at(0) }),
      record('B', { createdAt: at(2) }),
      record('C', { createdAt: at(4) }),
      record('D', { createdAt: at(5) }),
      record('E', { createdAt: at(1), stationId: 'litho-2' }),
    ];

    // Act / Assess
    expect(expectedCallCount(records, { cooldownMs: 5 * 60_000, dedupeSameImage: false })).toBe(3);
  });

  it('with de-duplication: the same image never rings twice', () => {
    // Prepare
    const records = [record('A', { sha256: 'same' }), record('B', { sha256: 'same', stationId: 'litho-2' }), record('C')];

    // Act / Assess
    expect(expectedCallCount(records, { cooldownMs: 0, dedupeSameImage: true })).toBe(2);
  });
});

describe('reconcile', () => {
  const uploads = [accepted('A'), accepted('B'), accepted('C')];
  const records = [record('A'), record('B', { status: 'normal' }), record('C')];
  const storedImageKeys = uploads.map((upload) => upload.imageKey!);

  it('is all OK when every accepted image and record is stored once and each anomalous inspection called once', () => {
    // Act
    const checks = reconcile(uploads, { storedImageKeys, records, calledInspectionIds: ['A', 'C'] }, CURRENT_CALL_POLICY);

    // Assess
    expect(checks.every((check) => check.ok)).toBe(true);
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 2, actual: 2 });
  });

  it('flags a lost image, a missing record, a doubled call and a call from elsewhere', () => {
    // Act
    const checks = reconcile(
      uploads,
      { storedImageKeys: storedImageKeys.slice(1), records: records.slice(0, 2), calledInspectionIds: ['A', 'A', 'Z'] },
      CURRENT_CALL_POLICY,
    );

    // Assess
    expect(checks.filter((check) => !check.ok).map((check) => [check.name, check.expected, check.actual])).toEqual([
      ['images stored = accepted', 3, 2],
      ['accepted images missing from S3', 0, 1],
      ['records = accepted', 3, 2],
      ['accepted uploads without a record', 0, 1],
      ['calls = expected by the policy', 1, 3],
      ['inspections called more than once', 0, 1],
      ['calls for inspections not in this run', 0, 1],
    ]);
  });

  it('flags an image stored that the client was never told was accepted', () => {
    // Act
    const checks = reconcile(uploads.slice(0, 2), { storedImageKeys, records: records.slice(0, 2), calledInspectionIds: ['A'] }, CURRENT_CALL_POLICY);

    // Assess
    expect(checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(['images stored = accepted']);
  });
});
