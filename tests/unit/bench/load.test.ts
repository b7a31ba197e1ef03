import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alertCategory,
  alertDelays,
  answerTimes,
  countErrors,
  decidedWhileWaiting,
  DEFAULT_BUCKET,
  expectedAlerts,
  expectedCallCount,
  formatSeconds,
  LOAD_USAGE,
  LoadArgumentError,
  parseLoadArgs,
  percentile,
  planUploads,
  productCallPolicy,
  reconcile,
  ringGoal,
  stationPrefix,
  summarizeAlert,
  summarizeLatencies,
  timeToAcknowledge,
  timeToRing,
  withJpegComment,
  type AlertSummary,
  type PlacedCall,
  type RecordSummary,
  type StackState,
  type UploadResult,
} from '../../../bench/load-benchmark';
import { validateWaferImage } from '../../../functions/core/validate-wafer-image';
import { SharpImageDecoder } from '../../../functions/adapters/image-decoding/sharp-image-decoder';

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

/** An anomalous record whose alert place-call decided at `when` (rang, folded into `into`, or failed with `code`). */
function decided(inspectionId: string, alert: Omit<AlertSummary, 'decidedAt'>, when: string, overrides: Partial<RecordSummary> = {}): RecordSummary {
  return record(inspectionId, { createdAt: when, alert: { ...alert, decidedAt: when }, ...overrides });
}

function accepted(inspectionId: string, status = 201, answeredAt?: string): UploadResult {
  return {
    status,
    latencyMs: 10,
    inspectionId,
    imageKey: `inspections/2026/11/26/${inspectionId}.jpg`,
    ...(answeredAt ? { answeredAtMs: Date.parse(answeredAt) } : {}),
  };
}

/** The first call of an anomaly's ladder (level 1, loop 1, the one operator), started at `when`. */
function call(contactId: string, inspectionId: string, overrides: Partial<PlacedCall> = {}): PlacedCall {
  return { contactId, inspectionId, stationId: 'litho-1', callKind: 'anomaly', level: '1', loop: '1', contactName: 'Operator', startedAt: at(0), ...overrides };
}

/** An alert acknowledged at `acknowledgedAt` on the ladder whose calls are `contactIds`. */
function acknowledged(contactIds: string[], acknowledgedAt: string, overrides: Partial<AlertSummary> = {}): Omit<AlertSummary, 'decidedAt'> {
  return { status: 'acknowledged', callKind: 'anomaly', contactIds, acknowledgedAt, ...overrides };
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
      answerAfterMs: 2000,
      keepData: false,
    });
    expect(options).not.toHaveProperty('cooldownSeconds');
  });

  it('reads every option, and a running stack on loopback with its S3 endpoint', () => {
    // Act
    const options = parseLoadArgs([
      '--uploads',
      '12',
      '--concurrency',
      '1, 4',
      '--max-seconds',
      '20',
      '--url',
      'http://localhost:3000/',
      '--s3-endpoint',
      'http://127.0.0.1:4569',
      '--seed',
      '7',
      '--stations',
      '2',
      '--same-bytes',
      '--settle-seconds',
      '0',
      '--keep-data',
      '--cooldown-seconds',
      '0',
      '--answer-after-ms',
      '500',
    ]);

    // Assess
    expect(options).toMatchObject({
      uploads: 12,
      concurrencies: [1, 4],
      maxSeconds: 20,
      url: 'http://localhost:3000',
      s3Endpoint: 'http://127.0.0.1:4569',
      seed: 7,
      stations: 2,
      sameBytes: true,
      settleSeconds: 0,
      keepData: true,
      cooldownSeconds: 0,
      answerAfterMs: 500,
    });
  });

  it('lets the operator answer at once, and says --answer-after-ms in the usage', () => {
    // Act / Assess
    expect(parseLoadArgs(['--answer-after-ms', '0']).answerAfterMs).toBe(0);
    expect(parseLoadArgs(['--answer-after-ms', '600000']).answerAfterMs).toBe(600_000);
    expect(LOAD_USAGE).toContain('[--answer-after-ms 2000]');
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
    [['--answer-after-ms', '2s'], /--answer-after-ms must be a whole number/],
    [['--answer-after-ms', '-1'], /answer-after-ms/],
    [['--answer-after-ms', '600001'], /--answer-after-ms must be between 0 and 600000/],
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
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100), percentile(values, 0)]).toEqual([
      50, 95, 99, 100, 1,
    ]);
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
  it("gives every run of every invocation its own stations, named within the product's station id rule", () => {
    // Prepare: functions/core/camera-upload.ts STATION_ID (what functions/adapters/http/read-inspection-request.ts checks).
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
    const original = await validateWaferImage(jpeg, LIMITS, new SharpImageDecoder());
    const commented = await validateWaferImage(withJpegComment(jpeg, 'waferwatch bench upload=1'), LIMITS, new SharpImageDecoder());
    const otherComment = await validateWaferImage(withJpegComment(jpeg, 'waferwatch bench upload=2'), LIMITS, new SharpImageDecoder());

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
    expect([...counts]).toEqual([
      ['502 no-code', 1],
      ['503 DETECTOR_UNAVAILABLE', 2],
      ['network ECONNRESET', 1],
    ]);
  });
});

describe('summarizeAlert', () => {
  it('keeps where each stored alert outcome got to, its calls, and when place-call decided it', () => {
    // Prepare
    const attempt = (contactId: string | undefined, startedAt: string) => ({
      step: 0,
      level: 1,
      loop: 1,
      contactName: 'Operator',
      phone: '+1******0100',
      startedAt,
      outcome: 'ringing',
      ...(contactId ? { contactId } : {}),
    });

    // Act / Assess
    expect(summarizeAlert({ status: 'queued', queuedAt: at(0) })).toEqual({ status: 'queued' });
    expect(
      summarizeAlert({ status: 'ringing', startedAt: at(1), level: 1, loop: 1, callKind: 'anomaly', foldedCount: 2, attempts: [attempt('c-1', at(1))] }),
    ).toEqual({
      status: 'ringing',
      callKind: 'anomaly',
      contactIds: ['c-1'],
      decidedAt: at(1),
    });
    expect(
      summarizeAlert({
        status: 'acknowledged',
        acknowledgedAt: at(1, 5),
        acknowledgedBy: { contactName: 'Operator', contactId: 'c-2', key: '1', decision: 'keep', at: at(1, 5) },
        startedAt: at(1),
        callKind: 'anomaly',
        attempts: [attempt('c-1', at(1)), attempt(undefined, at(1)), attempt('c-2', at(2))],
      }),
    ).toEqual({ status: 'acknowledged', callKind: 'anomaly', contactIds: ['c-1', 'c-2'], decidedAt: at(1), acknowledgedAt: at(1, 5) });
    expect(summarizeAlert({ status: 'unacknowledged', unacknowledgedAt: at(5), startedAt: at(1), attempts: [attempt('c-1', at(1))] })).toEqual({
      status: 'unacknowledged',
      contactIds: ['c-1'],
      decidedAt: at(1),
    });
    expect(summarizeAlert({ status: 'placed', contactId: 'c-1', placedAt: at(1), foldedCount: 2 })).toEqual({
      status: 'placed',
      contactIds: ['c-1'],
      decidedAt: at(1),
    });
    expect(summarizeAlert({ status: 'folded', intoInspectionId: 'A', foldedAt: at(2) })).toEqual({ status: 'folded', intoInspectionId: 'A', decidedAt: at(2) });
    expect(summarizeAlert({ status: 'failed', reason: 'cap', code: 'DAILY_CALL_CAP_REACHED', failedAt: at(3) })).toEqual({
      status: 'failed',
      code: 'DAILY_CALL_CAP_REACHED',
      decidedAt: at(3),
    });
    expect(summarizeAlert(undefined)).toEqual({ status: 'missing' });
  });

  it("dates a fold acknowledged by its station's call by its fold, and leaves the anomaly of a cooldown-end call undated", () => {
    // Act
    const told = summarizeAlert({
      status: 'acknowledged',
      acknowledgedAt: at(6),
      acknowledgedBy: { contactName: 'Operator', contactId: 'c-9', key: '1', decision: 'keep', at: at(6) },
      viaInspectionId: 'A',
      startedAt: at(2),
    });
    // Folded at minute 3, its record went ringing when the cooldown ended at 5: the fold's time is gone.
    const lead = summarizeAlert({ status: 'ringing', startedAt: at(5, 1), level: 1, loop: 1, callKind: 'folded', foldedCount: 3, attempts: [] });

    // Assess
    expect(told).toEqual({ status: 'acknowledged', viaInspectionId: 'A', decidedAt: at(2), acknowledgedAt: at(6) });
    expect(lead).toEqual({ status: 'ringing', callKind: 'folded' });
  });
});

describe('alertCategory', () => {
  it('counts ringing, acknowledged, unacknowledged and old placed alerts as rung, and folds however they were told as folded', () => {
    // Act / Assess
    expect(['ringing', 'acknowledged', 'unacknowledged', 'placed'].map((status) => alertCategory({ status, callKind: 'anomaly' }))).toEqual([
      'rang',
      'rang',
      'rang',
      'rang',
    ]);
    expect(alertCategory({ status: 'acknowledged' })).toBe('rang');
    expect(alertCategory({ status: 'folded', intoInspectionId: 'A' })).toBe('folded');
    expect(alertCategory({ status: 'acknowledged', viaInspectionId: 'A' })).toBe('folded');
    expect(alertCategory({ status: 'ringing', callKind: 'folded' })).toBe('folded');
    expect(alertCategory({ status: 'acknowledged', callKind: 'folded' })).toBe('folded');
    expect([alertCategory({ status: 'queued' }), alertCategory({ status: 'failed' })]).toEqual(['queued', 'failed']);
    expect(['skipped', 'not-queued', 'missing'].map((status) => alertCategory({ status }))).toEqual(['other', 'other', 'other']);
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

  it("keeps each station's cooldown apart, and a zero cooldown rings every anomaly", () => {
    // Prepare
    const records = [
      record('A'),
      record('B', { createdAt: at(1) }),
      record('C', { stationId: 'litho-2' }),
      record('D', { stationId: 'etch-1', createdAt: at(2) }),
    ];

    // Act / Assess
    expect(expectedCallCount(records, POLICY)).toBe(3);
    expect(expectedCallCount(records, productCallPolicy({ cooldownSeconds: 0 }))).toBe(4);
  });

  it('rings the same image (sha256) once, whichever station sent it again', () => {
    // Prepare
    const policy = productCallPolicy({ cooldownSeconds: 0 });
    const records = [
      record('A', { sha256: 'same' }),
      record('B', { sha256: 'same', stationId: 'litho-2', createdAt: at(1) }),
      record('C', { createdAt: at(2) }),
    ];

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
      record('A', { createdAt: at(0), alert: { status: 'acknowledged', contactIds: ['c-A'], decidedAt: at(0, 1) } }),
      record('B', { createdAt: at(0), alert: { status: 'ringing', contactIds: ['c-B'], decidedAt: at(6, 1) } }),
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

describe('expectedAlerts with cooldown-end calls', () => {
  it("restarts a station's cooldown at its cooldown-end call, so an anomaly 6 minutes after the first call still folds", () => {
    // Prepare: A rings at 0, B folds at 2; the cooldown ends at 5 and a call tells B, so C at 6 folds into it.
    const records = [record('A', { createdAt: at(0) }), record('B', { createdAt: at(2) }), record('C', { createdAt: at(6) })];

    // Act
    const without = expectedAlerts(records, POLICY);
    const withCall = expectedAlerts(records, POLICY, [{ stationId: 'litho-1', at: Date.parse(at(5, 1)) }]);

    // Assess
    expect(without).toEqual({ calls: 2, folded: 1, capped: 0 });
    expect(withCall).toEqual({ calls: 1, folded: 2, capped: 0 });
  });

  it('replays the anomaly a cooldown-end call is about at its inspection (its fold time is not kept), as a fold', () => {
    // Prepare: B's record went ringing with callKind folded when the cooldown ended.
    const records = [
      decided('A', acknowledged(['c-A'], at(0, 3)), at(0)),
      record('B', { createdAt: at(2), alert: { status: 'acknowledged', callKind: 'folded' } }),
    ];

    // Act / Assess
    expect(expectedAlerts(records, POLICY, [{ stationId: 'litho-1', at: Date.parse(at(5, 1)) }])).toEqual({ calls: 1, folded: 1, capped: 0 });
  });

  it("counts a cooldown-end call against the daily cap, whichever run's station it rang", () => {
    // Prepare: one call left, taken by an earlier run's station at minute 1.
    const policy = productCallPolicy({ cooldownSeconds: 300, dailyCallsLeft: 1 });

    // Act / Assess
    expect(expectedAlerts([record('A', { createdAt: at(2) })], policy, [{ stationId: 'bench-old-1', at: Date.parse(at(1)) }])).toEqual({
      calls: 0,
      folded: 0,
      capped: 1,
    });
  });
});

describe('reconcile', () => {
  // One run: A rang on litho-1 and was acknowledged, B folded into it, C normal, D rang on litho-2 and was
  // acknowledged; E answered 503 with its image kept.
  const records = [
    decided('A', acknowledged(['c-A'], at(0, 3)), at(0)),
    decided('B', { status: 'folded', intoInspectionId: 'A' }, at(1)),
    record('C', { status: 'normal', alert: { status: 'skipped' } }),
    decided('D', acknowledged(['c-D'], at(1, 3)), at(1), { stationId: 'litho-2' }),
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
    calls: [call('c-A', 'A'), call('c-D', 'D', { stationId: 'litho-2', startedAt: at(1) })],
  };
  const failing = (checks: ReturnType<typeof reconcile>) => checks.filter((check) => !check.ok).map((check) => [check.name, check.expected, check.actual]);

  it('is all OK when each new inspection is stored once, duplicates answer it, and each alert is settled as the policy says', () => {
    // Act
    const checks = reconcile(results, state, POLICY);

    // Assess
    expect(failing(checks)).toEqual([]);
    expect(checks.find((check) => check.name === 'images stored = new inspections answered')).toMatchObject({ expected: 5, actual: 5 });
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 2, actual: 2 });
    expect(checks.find((check) => check.name === 'rang + folded + failed = anomalous')).toMatchObject({ expected: 3, actual: 3 });
  });

  it('counts ringing, unacknowledged and old placed alerts as rung too, and flags the two a key never acknowledged', () => {
    // Prepare
    const mixed = [
      decided('A', { status: 'ringing', callKind: 'anomaly', contactIds: ['c-A'] }, at(0)),
      records[1]!,
      records[2]!,
      decided('D', { status: 'unacknowledged', contactIds: ['c-D'] }, at(1), { stationId: 'litho-2' }),
      records[4]!,
      decided('F', { status: 'placed', contactIds: ['c-F'] }, at(1), { stationId: 'litho-3' }),
    ];

    // Act
    const checks = reconcile(
      [...results, accepted('F')],
      {
        ...state,
        storedImageKeys: [...state.storedImageKeys, imageKey('F')],
        records: mixed,
        calls: [...state.calls, call('c-F', 'F', { stationId: 'litho-3' })],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([['rung alerts not acknowledged by the key', 0, 2]]);
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 3, actual: 3 });
  });

  it('flags a lost image, a missing record, a ladder step rung twice and a call from elsewhere', () => {
    // Act
    const checks = reconcile(
      results,
      {
        ...state,
        storedImageKeys: state.storedImageKeys.slice(1),
        records: records.filter((candidate) => candidate.inspectionId !== 'C'),
        calls: [...state.calls, call('c-A2', 'A'), call('c-Z', 'Z')],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([
      ['images stored = new inspections answered', 5, 4],
      ['accepted images missing from S3', 0, 1],
      ['records = new inspections answered', 5, 4],
      ['answered inspections without a record', 0, 1],
      ['calls = expected by the policy', 2, 3],
      ['ladder steps called more than once', 0, 1],
      ['calls for inspections not in this run', 0, 1],
    ]);
  });

  it("takes the next level or loop of a ladder as the same alert's ladder, not a second call of the policy", () => {
    // Prepare: nobody pressed a key on A's first call; the second loop rang and was acknowledged.
    const escalated = [decided('A', acknowledged(['c-A', 'c-A2'], at(2, 3)), at(0)), ...records.slice(1)];

    // Act
    const checks = reconcile(results, { ...state, records: escalated, calls: [...state.calls, call('c-A2', 'A', { loop: '2', startedAt: at(2) })] }, POLICY);

    // Assess
    expect(failing(checks)).toEqual([]);
  });

  it("reports cooldown-end calls apart: not an anomaly's call, even when about an earlier run's anomalies", () => {
    // Prepare: an earlier run's station (bench-old-1) ended its cooldown with untold folds during this run.
    const calls = [...state.calls, call('c-OLD', 'OLD-FOLD', { stationId: 'bench-old-1', callKind: 'folded', startedAt: at(2) })];

    // Act
    const checks = reconcile(results, { ...state, calls }, POLICY);

    // Assess
    expect(failing(checks)).toEqual([]);
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 2, actual: 2 });
  });

  it("counts this run's cooldown-end call and the folds it told as folded, each on its own station's call", () => {
    // Prepare: a 1-minute cooldown. A rang at 0; B (0:20) and G (0:40) folded; at 1:01 the cooldown-end call about
    // G (the newest) rang, was acknowledged, and acknowledged B with it; H at 1:30 folded into G's call.
    const policy = productCallPolicy({ cooldownSeconds: 60 });
    const runRecords = [
      decided('A', acknowledged(['c-A'], at(0, 3)), at(0)),
      decided('B', { status: 'acknowledged', viaInspectionId: 'G', acknowledgedAt: at(1, 4) }, at(0, 20)),
      record('G', { createdAt: at(0, 40), alert: { status: 'acknowledged', callKind: 'folded', contactIds: ['c-G'], acknowledgedAt: at(1, 4) } }),
      decided('H', { status: 'folded', intoInspectionId: 'G' }, at(1, 30)),
    ];
    const runState: StackState = {
      earlierInspectionIds: new Set(),
      storedImageKeys: ['A', 'B', 'G', 'H'].map(imageKey),
      records: runRecords,
      calls: [call('c-A', 'A'), call('c-G', 'G', { callKind: 'folded', startedAt: at(1, 1) })],
    };

    // Act
    const checks = reconcile(
      ['A', 'B', 'G', 'H'].map((id) => accepted(id)),
      runState,
      policy,
    );

    // Assess
    expect(failing(checks)).toEqual([]);
    expect(checks.find((check) => check.name === 'folded = expected by the policy')).toMatchObject({ expected: 3, actual: 3 });
    expect(checks.find((check) => check.name === 'calls = expected by the policy')).toMatchObject({ expected: 1, actual: 1 });
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

  it("flags an alert left queued, a station rung twice inside its cooldown and folds into another station's call", () => {
    // Prepare: B still queued; F rang litho-1 again a minute after A; G, on litho-1, folded into D, litho-2's call;
    // K, on litho-1, was told by D's call.
    const unsettled = [
      ...records.filter((candidate) => candidate.inspectionId !== 'B'),
      record('B', { alert: { status: 'queued' } }),
      decided('F', acknowledged(['c-F'], at(2, 3)), at(2)),
      decided('G', { status: 'folded', intoInspectionId: 'D' }, at(3)),
      decided('K', { status: 'acknowledged', viaInspectionId: 'D', acknowledgedAt: at(4) }, at(3, 30)),
    ];

    // Act
    const checks = reconcile(
      [...results, accepted('F'), accepted('G'), accepted('K')],
      {
        ...state,
        storedImageKeys: [...state.storedImageKeys, imageKey('F'), imageKey('G'), imageKey('K')],
        records: unsettled,
        calls: [...state.calls, call('c-F', 'F', { startedAt: at(2) })],
      },
      POLICY,
    );

    // Assess
    expect(failing(checks)).toEqual([
      ['calls = expected by the policy', 2, 3],
      ['anomalous alerts still queued', 0, 1],
      ['rang + folded + failed = anomalous', 6, 5],
      ['folded = expected by the policy', 4, 2],
      ['folded not into a call of its station', 0, 2],
    ]);
  });

  it('takes a fold into a call still ringing as folded into a call', () => {
    // Prepare
    const ringing = [decided('A', { status: 'ringing', callKind: 'anomaly', contactIds: ['c-A'] }, at(0)), ...records.slice(1)];

    // Act
    const checks = reconcile(results, { ...state, records: ringing }, POLICY);

    // Assess
    expect(failing(checks)).toEqual([['rung alerts not acknowledged by the key', 0, 1]]);
  });

  it('flags a rung alert whose call Connect never saw', () => {
    // Act
    const checks = reconcile(results, { ...state, calls: state.calls.slice(1) }, POLICY);

    // Assess
    expect(failing(checks)).toEqual([
      ['calls = expected by the policy', 2, 1],
      ['rung alerts without their call', 0, 1],
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
  it("measures each settled anomalous alert from its inspection to place-call's decision, and the ones that rang apart", () => {
    // Prepare
    const records = [
      record('A', { createdAt: at(0), alert: acknowledged(['c-A'], at(0, 9), { decidedAt: at(0, 2) }) }),
      record('B', { createdAt: at(0, 1), alert: { status: 'folded', intoInspectionId: 'A', decidedAt: at(0, 31) } }),
      record('C', { createdAt: at(0, 2) }),
      record('D', { status: 'normal', alert: { status: 'skipped' } }),
      // A cooldown-end call's anomaly: when it was folded is not known.
      record('E', { createdAt: at(0, 3), alert: { status: 'ringing', callKind: 'folded' } }),
    ];

    // Act
    const delays = alertDelays(records);

    // Assess
    expect(delays).toEqual({ decided: [2_000, 30_000], rang: [2_000] });
  });
});

describe('answerTimes, timeToRing and timeToAcknowledge', () => {
  const results = [
    accepted('A', 201, at(0, 1)),
    accepted('B', 201, at(0, 2)),
    // The same bytes as A again, answered later: A's time is its first answer.
    accepted('A', 200, at(0, 5)),
    accepted('C', 201, at(0, 3)),
    { status: 503, latencyMs: 10, errorCode: 'DETECTOR_UNAVAILABLE', inspectionId: 'N', answeredAtMs: Date.parse(at(0, 4)) },
  ];

  it('keeps the first accepted answer of each inspection', () => {
    // Act
    const times = answerTimes(results);

    // Assess
    expect([...times]).toEqual([
      ['A', Date.parse(at(0, 1))],
      ['B', Date.parse(at(0, 2))],
      ['C', Date.parse(at(0, 3))],
    ]);
  });

  it("times each anomaly's first call from its upload's answer, leaving out cooldown-end calls and other runs' inspections", () => {
    // Prepare
    const calls = [
      call('c-B', 'B', { startedAt: at(0, 14) }),
      call('c-A', 'A', { startedAt: at(0, 3) }),
      // A's second loop: not when A rang.
      call('c-A2', 'A', { loop: '2', startedAt: at(3) }),
      call('c-C', 'C', { callKind: 'folded', startedAt: at(5) }),
      call('c-OLD', 'OLD', { startedAt: at(0, 9) }),
    ];

    // Act
    const delays = timeToRing(calls, answerTimes(results));

    // Assess
    expect(delays).toEqual([2_000, 12_000]);
  });

  it("times each acknowledged alert that rang from its upload's answer to the key, not its folds", () => {
    // Prepare
    const records = [
      record('A', { alert: acknowledged(['c-A'], at(0, 6)) }),
      record('B', { alert: acknowledged(['c-B'], at(0, 19)) }),
      record('C', { alert: { status: 'acknowledged', viaInspectionId: 'A', acknowledgedAt: at(0, 6) } }),
      record('D', { alert: { status: 'ringing', contactIds: ['c-D'] } }),
    ];

    // Act
    const delays = timeToAcknowledge(records, answerTimes(results));

    // Assess
    expect(delays).toEqual([5_000, 17_000]);
  });
});

describe('ringGoal', () => {
  it("allows 2 s plus Connect's rate floor, the calls at 2 a second: 16 calls may take 10 s at p95", () => {
    // Prepare: 16 calls, p95 (the 16th by nearest rank) at 9.9 s, then at 10.1 s.
    const within = Array.from({ length: 16 }, (_, index) => (index === 15 ? 9_900 : 500 * index));
    const beyond = [...within.slice(0, 15), 10_100];

    // Act
    const met = ringGoal(within);
    const missed = ringGoal(beyond);

    // Assess
    expect(met).toEqual({ calls: 16, floorSeconds: 8, goalSeconds: 10, p95Seconds: 9.9, met: true });
    expect(missed).toMatchObject({ goalSeconds: 10, p95Seconds: 10.1, met: false });
  });

  it('reads p95 by nearest rank, whatever the order, and has no verdict without calls', () => {
    // Prepare: 40 calls (floor 20 s, goal 22 s); the 38th of 40 is the p95.
    const delays = Array.from({ length: 40 }, (_, index) => (index + 1) * 1_000).reverse();

    // Act / Assess
    expect(ringGoal(delays)).toEqual({ calls: 40, floorSeconds: 20, goalSeconds: 22, p95Seconds: 38, met: false });
    expect(ringGoal([])).toMatchObject({ calls: 0, floorSeconds: 0, goalSeconds: 2, met: undefined });
    expect(ringGoal([-150, 1_900])).toMatchObject({ calls: 2, goalSeconds: 3, p95Seconds: 1.9, met: true });
  });
});

describe('decidedWhileWaiting', () => {
  it("counts the other alerts place-call decided between an anomaly's answer and its call, and the folds among them", () => {
    // Prepare: A answered at 0:01 and rang at 0:10; meanwhile B (a fold) and C (another station's call) were decided.
    const records = [
      decided('A', acknowledged(['c-A'], at(0, 12)), at(0, 10)),
      decided('B', { status: 'folded', intoInspectionId: 'X' }, at(0, 4)),
      decided('C', acknowledged(['c-C'], at(0, 9)), at(0, 6), { stationId: 'litho-2' }),
      decided('D', { status: 'folded', intoInspectionId: 'A' }, at(0, 11)),
    ];
    const answered = new Map([
      ['A', Date.parse(at(0, 1))],
      ['C', Date.parse(at(0, 5))],
    ]);

    // Act
    const waits = decidedWhileWaiting(records, [call('c-A', 'A', { startedAt: at(0, 10) }), call('c-C', 'C', { startedAt: at(0, 6) })], answered);

    // Assess
    expect(waits).toEqual([
      { inspectionId: 'A', decided: 2, folds: 1 },
      { inspectionId: 'C', decided: 0, folds: 0 },
    ]);
  });
});

describe('formatSeconds', () => {
  it('shows milliseconds as seconds with two decimals, and none as a dash', () => {
    // Act / Assess
    expect([formatSeconds(1234), formatSeconds(-150), formatSeconds(Number.NaN)]).toEqual(['1.23', '-0.15', '-']);
  });
});
