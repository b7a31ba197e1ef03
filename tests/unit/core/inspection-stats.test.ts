import { describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { AlertOutcome, CallAttempt, InspectionRecord } from '../../../functions/core/inspection';
import { computeInspectionStats, nearestRankPercentile, rangSomeone } from '../../../functions/core/inspection-stats';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = 60_000;

const attempt = (outcome: CallAttempt['outcome']): CallAttempt => ({
  step: 0,
  level: 1,
  loop: 1,
  contactName: 'Line operator',
  phone: '+1******0100',
  startedAt: new Date(NOW).toISOString(),
  outcome,
});

function record(stationId: string, createdMs: number, overrides: Partial<InspectionRecord> = {}): InspectionRecord {
  const inspectionId = ulid(createdMs);
  return {
    inspectionId,
    stationId,
    source: 'api',
    status: 'normal',
    image: { key: `inspections/x/${inspectionId}.png`, contentType: 'image/png', sizeBytes: 1, width: 64, height: 64, sha256: inspectionId },
    alert: { status: 'skipped', reason: 'not-anomalous' },
    createdAt: new Date(createdMs).toISOString(),
    updatedAt: new Date(createdMs).toISOString(),
    ...overrides,
  };
}

/** An anomaly whose call a person acknowledged `afterSeconds` after the inspection. */
function acknowledgedAfter(stationId: string, createdMs: number, afterSeconds: number): InspectionRecord {
  const alert: AlertOutcome = {
    status: 'acknowledged',
    acknowledgedAt: new Date(createdMs + afterSeconds * 1000).toISOString(),
    acknowledgedBy: { contactName: 'Line operator', contactId: 'c', key: '1', decision: 'keep', at: new Date(createdMs + afterSeconds * 1000).toISOString() },
    startedAt: new Date(createdMs).toISOString(),
    attempts: [{ ...attempt('acknowledged'), key: '1' }],
  };
  return record(stationId, createdMs, { status: 'anomalous', alert });
}

describe('computeInspectionStats', () => {
  it('takes percentiles by nearest rank', () => {
    expect(nearestRankPercentile([], 50)).toBeNull();
    expect(nearestRankPercentile([7], 95)).toBe(7);
    expect(nearestRankPercentile([40, 10, 30, 20], 50)).toBe(20);
    expect(nearestRankPercentile([40, 10, 30, 20], 95)).toBe(40);
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect([nearestRankPercentile(hundred, 50), nearestRankPercentile(hundred, 95)]).toEqual([50, 95]);
  });

  it('counts a call only when the ladder rang someone', () => {
    expect(rangSomeone(record('a', NOW))).toBe(false);
    expect(rangSomeone(record('a', NOW, { alert: { status: 'queued', queuedAt: '' } }))).toBe(false);
    expect(rangSomeone(record('a', NOW, { alert: { status: 'failed', reason: 'x', failedAt: '', attempts: [attempt('not-started')] } }))).toBe(false);
    expect(rangSomeone(record('a', NOW, { alert: { status: 'ringing', level: 1, loop: 1, startedAt: '', attempts: [attempt('ringing')] } }))).toBe(true);
    expect(rangSomeone(record('a', NOW, { alert: { status: 'placed', contactId: 'c', placedAt: '' } }))).toBe(true);
    // Acknowledged on another inspection's call (a folded anomaly): that call is counted there.
    const via: AlertOutcome = {
      status: 'acknowledged',
      acknowledgedAt: '',
      viaInspectionId: 'X',
      acknowledgedBy: { contactName: 'n', contactId: 'c', key: '1', decision: 'keep', at: '' },
    };
    expect(rangSomeone(record('a', NOW, { alert: via }))).toBe(false);
  });

  it('counts inspections, anomalies, calls and acknowledgements per station and bucket, with p50/p95 time to acknowledge', () => {
    // Prepare: litho-3 over the last day, ten calls acknowledged after 10..100 s, one call nobody acknowledged, one still ringing.
    const records: InspectionRecord[] = [];
    for (let index = 0; index < 10; index += 1) records.push(acknowledgedAfter('litho-3', NOW - (index + 1) * 30 * MINUTE, (index + 1) * 10));
    records.push(
      record('litho-3', NOW - 90 * MINUTE, {
        status: 'anomalous',
        alert: { status: 'unacknowledged', unacknowledgedAt: '', startedAt: '', attempts: [attempt('no-answer'), attempt('busy')] },
      }),
      record('litho-3', NOW - 5 * MINUTE, {
        status: 'anomalous',
        alert: { status: 'ringing', level: 1, loop: 1, startedAt: '', attempts: [attempt('ringing')] },
      }),
      record('litho-3', NOW - 10 * MINUTE),
      record('litho-3', NOW - 10 * MINUTE, { duplicateOf: 'OTHER', source: 'camera' }),
      // Outside the window, either side.
      record('litho-3', NOW - 25 * 60 * MINUTE),
      record('litho-3', NOW + MINUTE),
      record('etch-1', NOW - 23 * 60 * MINUTE - 30 * MINUTE, { status: 'needs-review' }),
    );

    // Act
    const stats = computeInspectionStats(records, { window: 'day', toMs: NOW });
    const one = computeInspectionStats(records, { window: 'shift', toMs: NOW, stationId: 'cmp-2', partial: true });

    // Assess
    expect(stats).toMatchObject({ window: 'day', from: '2026-11-25T12:00:00.000Z', to: '2026-11-26T12:00:00.000Z', bucketMinutes: 60, partial: false });
    expect(stats.stations.map((station) => station.stationId)).toEqual(['etch-1', 'litho-3']);
    const [etch, litho] = stats.stations;
    expect(litho).toMatchObject({
      inspections: 13,
      anomalies: 12,
      calls: 12,
      acknowledged: 10,
      unacknowledged: 1,
      // Ten waits of 10, 20, ... 100 s: the 5th and the 10th by nearest rank.
      timeToAcknowledgeSeconds: { p50: 50, p95: 100 },
    });
    expect(litho!.buckets).toHaveLength(24);
    expect(litho!.buckets[0]!.start).toBe('2026-11-25T12:00:00.000Z');
    expect(litho!.buckets.at(-1)).toEqual({ start: '2026-11-26T11:00:00.000Z', inspections: 4, anomalies: 3, calls: 3 });
    expect(litho!.buckets.reduce((sum, bucket) => sum + bucket.inspections, 0)).toBe(13);
    expect(etch).toMatchObject({ inspections: 1, anomalies: 0, calls: 0, acknowledged: 0, timeToAcknowledgeSeconds: { p50: null, p95: null } });
    expect(etch!.buckets[0]).toEqual({ start: '2026-11-25T12:00:00.000Z', inspections: 1, anomalies: 0, calls: 0 });
    // A station asked for is answered even without records; a shift has 16 half-hour buckets.
    expect(one).toMatchObject({ window: 'shift', bucketMinutes: 30, partial: true, stations: [{ stationId: 'cmp-2', inspections: 0 }] });
    expect(one.stations[0]!.buckets).toHaveLength(16);
    expect(computeInspectionStats([], { window: 'week', toMs: NOW })).toMatchObject({ bucketMinutes: 360, stations: [] });
  });
});
