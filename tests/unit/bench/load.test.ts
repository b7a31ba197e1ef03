import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alertDelays,
  countErrors,
  DEFAULT_BUCKET,
  expectedAlerts,
  expectedCallCount,
  LoadArgumentError,
  parseLoadArgs,
  percentile,
  planUploads,
  productCallPolicy,
  reconcile,
  stationPrefix,
  summarizeAlert,
  summarizeLatencies,
  withJpegComment,
  type AlertSummary,
  type RecordSummary,
  type StackState,
  type UploadResult,
} from '../../../bench/load-benchmark';
import { validateWaferImage } from '../../../functions/core/validate-wafer-image';

const SAMPLE = path.resolve(__dirname, '../../../samples/wafer-photos/anomalous/scratch.jpg');
const LIMITS = { maxBytes: 4 * 1024 * 1024, minSide: 64, maxSide: 4096 };
/** The product's 5-minute default cooldown, no daily cap in reach. */
const POLICY = productCallPolicy({ cooldownSeconds: 300 });

/** 10:MM:SS on the benchmark day. */
function at(minute: number, second = 0): string {
  return `2026-11-26T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`;
}

function record(inspectionId: string, overrides: Partial<RecordSummary> = {}): RecordSummary {
  return {
    inspectionId,
    stationId: 'litho-1',
    status: 'anomalous',
    createdAt: at(0),
    sha256: `sha-${inspectionId}`,
    alert: { status: 'queued' },
    ...overrides,
  };
}

/** An anomalous record whose alert place-call decided at `when` (placed, folded into `into`, or failed with `code`). */
function decided(inspectionId: string, alert: Omit<AlertSummary, 'decidedAt'>, when: string, overrides: Partial<RecordSummary> = {}): RecordSummary {
  return record(inspectionId, { createdAt: when, alert: { ...alert, decidedAt: when }, ...overrides });
}

function accepted(inspectionId: string, status = 201): UploadResult {
  return { status, latencyMs: 10, inspectionId, imageKey: `inspections/2026/11/26/${inspectionId}.jpg` };
}

function imageKey(inspectionId: string): string {
  return `inspections/2026/11/26/${inspectionId}.jpg`;
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
      stations: 16,
      sameBytes: false,
      settleSeconds: 60,
      keepData: false,
    });
    expect(options).not.toHaveProperty('cooldownSeconds');
  });

  it('reads every option, and a running stack on loopback with its S3 endpoint', () => {
    // Act
    const options = parseLoadArgs([
      '--uploads', '12', '--concurrency', '1, 4', '--max-seconds', '20', '--url', 'http://localhost:3000/',
      '--s3-endpoint', 'http://127.0.0.1:4569', '--seed', '7', '--stations', '2', '--same-bytes', '--settle-seconds', '0', '--keep-data',
      '--cooldown-seconds', '0',
    ]);

    // Assess
    expect(options).toMatchObject({ uploads: 12, concurrencies: [1, 4], maxSeconds: 20, url: 'http://localhost:3000', s3Endpoint: 'http://127.0.0.1:4569', seed: 7, stations: 2, sameBytes: true, settleSeconds: 0, keepData: true, cooldownSeconds: 0 });
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
    [['--cooldown-seconds', '86401'], /--cooldown-seconds must be between 0 and 86400/],
    [['--cooldown-seconds', '5m'], /--cooldown-seconds must be a whole number/],
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

  it('names the stations after the run when given its prefix', () => {
    // Act
    const plan = planUploads({ uploads: 40, samples: 30, stations: 2, seed: 5, stationPrefix: stationPrefix('a1b2c3', 2, 8) });

    // Assess
    expect(new Set(plan.map((upload) => upload.stationId))).toEqual(new Set(['bench-a1b2c3-r2c8-1', 'bench-a1b2c3-r2c8-2']));
  });
});

describe('stationPrefix', () => {
  it('gives every run of every invocation its own stations, named within the product\'s station id rule', () => {
    // Prepare: functions/http/read-inspection-request.ts STATION_ID.
    const productRule = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

    // Act
    const prefixes = [stationPrefix('a1b2c3', 1, 1), stationPrefix('a1b2c3', 2, 8), stationPrefix('a1b2c3', 3, 8), stationPrefix('ffffff', 1, 1)];
    const longest = `${stationPrefix('abcdefgh', 999, 1024)}-64`;

    // Assess
    expect(new Set(prefixes).size).toBe(4);
    expect(longest).toMatch(productRule);
    expect(() => stationPrefix('a b', 1, 1)).toThrow(/station tag/);
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

describe('summarizeAlert', () => {
  it('keeps where each stored alert outcome got to and when place-call decided it', () => {
    // Act / Assess
    expect(summarizeAlert({ status: 'queued', queuedAt: at(0) })).toEqual({ status: 'queued' });
    expect(summarizeAlert({ status: 'placed', contactId: 'c-1', placedAt: at(1), foldedCount: 2 })).toEqual({ status: 'placed', contactId: 'c-1', decidedAt: at(1) });
    expect(summarizeAlert({ status: 'folded', intoInspectionId: 'A', foldedAt: at(2) })).toEqual({ status: 'folded', intoInspectionId: 'A', decidedAt: at(2) });
    expect(summarizeAlert({ status: 'failed', reason: 'cap', code: 'DAILY_CALL_CAP_REACHED', failedAt: at(3) })).toEqual({
      status: 'failed',
      code: 'DAILY_CALL_CAP_REACHED',
      decidedAt: at(3),
    });
    expect(summarizeAlert(undefined)).toEqual({ status: 'missing' });
  });
});

describe('expectedAlerts (the product call policy)', () => {
  it('rings once for a burst of 20 anomalies on one station inside the cooldown and folds the other 19', () => {
    // Prepare
    const records = Array.from({ length: 20 }, (_, index) => record(`A${index}`, { createdAt: at(0, index * 2) }));

    // Act
    const expected = expectedAlerts(records, POLICY);

    // Assess
    expect(expected).toEqual({ calls: 1, folded: 19, capped: 0 });
  });

  it('rings again once the cooldown has passed since the last call: 6 minutes apart is 2 calls, 4 minutes apart 1', () => {
    // Act / Assess
    expect(expectedCallCount([record('A', { createdAt: at(0) }), record('B', { createdAt: at(6) })], POLICY)).toBe(2);
    expect(expectedCallCount([record('A', { createdAt: at(0) }), record('B', { createdAt: at(4) })], POLICY)).toBe(1);
  });

  it('counts the cooldown from the last call, not the last anomaly, and rings at exactly the cooldown', () => {
    // Prepare: 0 rings, 4 folds, 5 rings (300 s after the call at 0), 9 folds, 11 rings.
    const records = [0, 4, 5, 9, 11].map((minute) => record(`A${minute}`, { createdAt: at(minute) }));

    // Act
    const expected = expectedAlerts(records, POLICY);

    // Assess
    expect(expected).toEqual({ calls: 3, folded: 2, capped: 0 });
  });

  it('keeps each station\'s cooldown apart, and a zero cooldown rings every anomaly', () => {
    // Prepare
    const records = [record('A'), record('B', { createdAt: at(1) }), record('C', { stationId: 'litho-2' }), record('D', { stationId: 'etch-1', createdAt: at(2) })];

    // Act / Assess
    expect(expectedCallCount(records, POLICY)).toBe(3);
    expect(expectedCallCount(records, productCallPolicy({ cooldownSeconds: 0 }))).toBe(4);
  });

  it('rings the same image (sha256) once, whichever station sent it again', () => {
    // Prepare
    const policy = productCallPolicy({ cooldownSeconds: 0 });
    const records = [record('A', { sha256: 'same' }), record('B', { sha256: 'same', stationId: 'litho-2', createdAt: at(1) }), record('C', { createdAt: at(2) })];

    // Act / Assess
    expect(expectedAlerts(records, policy)).toEqual({ calls: 2, folded: 0, capped: 0 });
  });

  it('expects nothing of normal, needs-review and not-inspected records, nor of an alert the queue never took', () => {
    // Prepare
    const records = [
      record('A', { status: 'normal', alert: { status: 'skipped' } }),
      record('B', { status: 'needs-review', alert: { status: 'skipped' } }),
      record('C', { status: 'not-inspected', alert: { status: 'skipped' } }),
      record('D', { alert: { status: 'not-queued' } }),
    ];

    // Act / Assess
    expect(expectedAlerts(records, POLICY)).toEqual({ calls: 0, folded: 0, capped: 0 });
  });

  it('replays the alerts when place-call decided them: created together but taken off the queue 6 minutes apart rings twice', () => {
    // Prepare
    const records = [
      record('A', { createdAt: at(0), alert: { status: 'placed', contactId: 'c-A', decidedAt: at(0, 1) } }),
      record('B', { createdAt: at(0), alert: { status: 'placed', contactId: 'c-B', decidedAt: at(6, 1) } }),
    ];

    // Act / Assess
    expect(expectedCallCount(records, POLICY)).toBe(2);
  });

  it('refuses calls past the daily cap, and a refused call does not silence its station', () => {
    // Prepare: 2 calls left; litho-3 is refused at minute 2 and again at 3, since nobody was rung.
    const policy = productCallPolicy({ cooldownSeconds: 300, dailyCallsLeft: 2 });
    const records = [
      record('A', { createdAt: at(0) }),
      record('B', { stationId: 'litho-2', createdAt: at(1) }),
      record('C', { stationId: 'litho-3', createdAt: at(2) }),
      record('D', { stationId: 'litho-3', createdAt: at(3) }),
      record('E', { createdAt: at(4) }),
    ];

    // Act
    const expected = expectedAlerts(records, policy);

    // Assess
    expect(expected).toEqual({ calls: 2, folded: 1, capped: 2 });
  });
});

describe('reconcile', () => {
  // One run: A rang on litho-1, B folded into it, C normal, D rang on litho-2; E answered 503 with its image kept.
  const records = [
    decided('A', { status: 'placed', contactId: 'c-A' }, at(0)),
    decided('B', { status: 'folded', intoInspectionId: 'A' }, at(1)),
    record('C', { status: 'normal', alert: { status: 'skipped' } }),
    decided('D', { status: 'placed', contactId: 'c-D' }, at(1), { stationId: 'litho-2' }),
    record('E', { status: 'not-inspected', alert: { status: 'skipped' } }),
  ];
  const results: UploadResult[] = [
    accepted('A'),
    accepted('B'),
    accepted('C'),
    accepted('D'),
    // The same bytes as A sent again: the same inspection, answered 200.
    accepted('A', 200),
    // The same bytes as an earlier run's inspection: answered with it, nothing new stored.
    accepted('OLD', 200),
    { status: 503, latencyMs: 10, errorCode: 'DETECTOR_UNAVAILABLE', inspectionId: 'E' },
    { status: 400, latencyMs: 10, errorCode: 'UNSUPPORTED_MEDIA_TYPE' },
  ];
  const state: StackState = {
    earlierInspectionIds: new Set(['OLD']),
    storedImageKeys: ['A', 'B', 'C', 'D', 'E'].map(imageKey),
    records,
    calls: [
      { contactId: 'c-A', inspectionId: 'A' },
      { contactId: 'c-D', inspectionId: 'D' },
    ],
  };
  const failing = (checks: ReturnType<typeof reconcile>) => checks.filter((check) => !check.ok).map((check) => [check.name, check.expected, check.actual]);

  it('is all OK when each new inspection is stored once, duplicates answer it, and each alert is settled as the policy says', () => {
    // Act
    const checks = reconcile(results, state, POLICY);

    // Assess
    expect(failing(checks)).toEqual([]);
    expect(checks.find((check) => check.name === 'images stored = new inspections answered')).toMatchObject({ expected: 5, actual: 5 });
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 2, actual: 2 });
    expect(checks.find((check) => check.name === 'placed + folded + failed = anomalous')).toMatchObject({ expected: 3, actual: 3 });
  });

  it('flags a lost image, a missing record, a doubled call and a call from elsewhere', () => {
    // Act
    const checks = reconcile(
      results,
      {
        ...state,
        storedImageKeys: state.storedImageKeys.slice(1),
        records: records.filter((candidate) => candidate.inspectionId !== 'C'),
        calls: [...state.calls, { contactId: 'c-A2', inspectionId: 'A' }, { contactId: 'c-Z', inspectionId: 'Z' }],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([
      ['images stored = new inspections answered', 5, 4],
      ['accepted images missing from S3', 0, 1],
      ['records = new inspections answered', 5, 4],
      ['answered inspections without a record', 0, 1],
      ['calls = expected by the policy', 2, 4],
      ['inspections called more than once', 0, 1],
      ['calls for inspections not in this run', 0, 1],
    ]);
  });

  it('flags an image stored that no answer named, and one image stored as two inspections', () => {
    // Act
    const checks = reconcile(
      results,
      {
        ...state,
        storedImageKeys: [...state.storedImageKeys, imageKey('X')],
        records: [...records, record('X', { status: 'normal', sha256: 'sha-C', alert: { status: 'skipped' } })],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([
      ['images stored = new inspections answered', 5, 6],
      ['records = new inspections answered', 5, 6],
      ['one image stored as two inspections', 0, 1],
    ]);
  });

  it('flags an alert left queued, a station rung twice inside its cooldown and a fold into another station\'s call', () => {
    // Prepare: B still queued; F rang litho-1 again a minute after A; G, on litho-1, folded into D, litho-2's call.
    const unsettled = [
      ...records.filter((candidate) => candidate.inspectionId !== 'B'),
      record('B', { alert: { status: 'queued' } }),
      decided('F', { status: 'placed', contactId: 'c-F' }, at(2)),
      decided('G', { status: 'folded', intoInspectionId: 'D' }, at(3)),
    ];

    // Act
    const checks = reconcile(
      [...results, accepted('F'), accepted('G')],
      {
        ...state,
        storedImageKeys: [...state.storedImageKeys, imageKey('F'), imageKey('G')],
        records: unsettled,
        calls: [...state.calls, { contactId: 'c-F', inspectionId: 'F' }],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([
      ['calls = expected by the policy', 2, 3],
      ['anomalous alerts still queued', 0, 1],
      ['placed + folded + failed = anomalous', 5, 4],
      ['folded = expected by the policy', 3, 1],
      ['folded not into a call of its station', 0, 1],
    ]);
  });

  it('flags a placed alert whose call Connect never saw', () => {
    // Act
    const checks = reconcile(results, { ...state, calls: state.calls.slice(1) }, POLICY);

    // Assess
    expect(failing(checks)).toEqual([
      ['calls = expected by the policy', 2, 1],
      ['placed alerts without their call', 0, 1],
    ]);
  });

  it('expects refusals by the daily cap only when the policy says the cap is reached', () => {
    // Prepare: H, on litho-3, was refused by the cap after A's and D's calls.
    const capped = {
      ...state,
      storedImageKeys: [...state.storedImageKeys, imageKey('H')],
      records: [...records, decided('H', { status: 'failed', code: 'DAILY_CALL_CAP_REACHED' }, at(2), { stationId: 'litho-3' })],
    };
    const withH = [...results, accepted('H')];

    // Act
    const unexpected = reconcile(withH, capped, POLICY);
    const asExpected = reconcile(withH, capped, productCallPolicy({ cooldownSeconds: 300, dailyCallsLeft: 2 }));

    // Assess
    expect(failing(unexpected)).toEqual([
      ['calls = expected by the policy', 3, 2],
      ['refused by the daily call cap = expected', 0, 1],
    ]);
    expect(failing(asExpected)).toEqual([]);
  });
});

describe('alertDelays', () => {
  it('measures each settled anomalous alert from its inspection to place-call\'s decision, and the placed calls apart', () => {
    // Prepare
    const records = [
      record('A', { createdAt: at(0), alert: { status: 'placed', contactId: 'c-A', decidedAt: at(0, 2) } }),
      record('B', { createdAt: at(0, 1), alert: { status: 'folded', intoInspectionId: 'A', decidedAt: at(0, 31) } }),
      record('C', { createdAt: at(0, 2) }),
      record('D', { status: 'normal', alert: { status: 'skipped' } }),
    ];

    // Act
    const delays = alertDelays(records);

    // Assess
    expect(delays).toEqual({ decided: [2_000, 30_000], placed: [2_000] });
  });
});
