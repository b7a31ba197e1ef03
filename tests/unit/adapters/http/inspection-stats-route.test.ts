import { beforeEach, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { createInspectionStatsHandler } from '../../../../functions/adapters/http/inspection-stats-route';
import { S3InspectionStore } from '../../../../functions/adapters/s3/s3-inspection-store';
import type { InspectionRecord } from '../../../../functions/core/inspection';
import { apiEvent, cameraAuthorizer, lambdaContext } from '../../../fixtures/api-events';
import { MemoryLogger } from '../../../fixtures/fakes';
import { InMemoryS3 } from '../../../fixtures/in-memory-s3';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = 60_000;

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

function acknowledgedAfter(stationId: string, createdMs: number, afterSeconds: number): InspectionRecord {
  const at = new Date(createdMs + afterSeconds * 1000).toISOString();
  return record(stationId, createdMs, {
    status: 'anomalous',
    alert: {
      status: 'acknowledged',
      acknowledgedAt: at,
      acknowledgedBy: { contactName: 'Line operator', contactId: 'c', key: '2', decision: 'scrap', at },
      startedAt: new Date(createdMs).toISOString(),
      attempts: [
        {
          step: 0,
          level: 1,
          loop: 1,
          contactName: 'Line operator',
          phone: '+1******0100',
          startedAt: new Date(createdMs).toISOString(),
          outcome: 'acknowledged',
          key: '2',
        },
      ],
    },
  });
}

describe('GET /stats (createInspectionStatsHandler)', () => {
  let s3: InMemoryS3;
  let store: S3InspectionStore;

  const stats = async (query: Record<string, string> | null, options: { maxRecords?: number; authorizer?: unknown } = {}) => {
    const handler = createInspectionStatsHandler(() => ({
      allowedOrigins: [],
      logger: new MemoryLogger(),
      history: store,
      now: () => new Date(NOW),
      ...(options.maxRecords !== undefined ? { maxRecords: options.maxRecords } : {}),
    }));
    const event = apiEvent({
      httpMethod: 'GET',
      resource: '/stats',
      path: '/stats',
      queryStringParameters: query,
      ...(options.authorizer ? { requestContext: { requestId: 'r', stage: 't', authorizer: options.authorizer } as never } : {}),
    });
    const response = await handler(event, lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) };
  };

  beforeEach(async () => {
    s3 = new InMemoryS3();
    store = new S3InspectionStore({ client: s3.client, bucket: 'images', now: () => new Date(NOW) });
    // litho-3: four calls acknowledged after 30, 60, 90 and 600 s within the shift, two normal wafers; etch-1: one
    // anomaly folded into a call (no call of its own) two days ago, inside the week only.
    const records = [
      acknowledgedAfter('litho-3', NOW - 20 * MINUTE, 30),
      acknowledgedAfter('litho-3', NOW - 50 * MINUTE, 60),
      acknowledgedAfter('litho-3', NOW - 3 * 60 * MINUTE, 90),
      acknowledgedAfter('litho-3', NOW - 7 * 60 * MINUTE, 600),
      record('litho-3', NOW - 5 * MINUTE),
      record('litho-3', NOW - 9 * 60 * MINUTE),
      record('etch-1', NOW - 2 * 24 * 60 * MINUTE, { status: 'anomalous', alert: { status: 'folded', intoInspectionId: 'X', foldedAt: '' } }),
    ];
    for (const entry of records) await store.putRecord(entry);
  });

  it('answers the shift per station: counts, calls, acknowledgements, p50/p95 time to acknowledge and half-hour buckets', async () => {
    // Act
    const { status, body } = await stats({ window: 'shift' });

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({
      window: 'shift',
      from: '2026-11-26T04:00:00.000Z',
      to: '2026-11-26T12:00:00.000Z',
      bucketMinutes: 30,
      partial: false,
      stations: [
        {
          stationId: 'litho-3',
          inspections: 5,
          anomalies: 4,
          calls: 4,
          acknowledged: 4,
          unacknowledged: 0,
          timeToAcknowledgeSeconds: { p50: 60, p95: 600 },
          buckets: expect.any(Array),
        },
      ],
    });
    const buckets = body.stations[0].buckets as Array<{ start: string; inspections: number; anomalies: number; calls: number }>;
    expect(buckets).toHaveLength(16);
    expect(buckets.at(-1)).toEqual({ start: '2026-11-26T11:30:00.000Z', inspections: 2, anomalies: 1, calls: 1 });
    expect(buckets.map((bucket) => bucket.calls).reduce((a, b) => a + b)).toBe(4);
  });

  it('defaults to the day, answers the week with six-hour buckets, and one station when asked', async () => {
    // Act
    const day = await stats(null);
    const week = await stats({ window: 'week' });
    const etch = await stats({ window: 'week', station: 'etch-1' });
    const idle = await stats({ window: 'day', station: 'cmp-2' });

    // Assess
    expect(day.body).toMatchObject({ window: 'day', bucketMinutes: 60, stations: [{ stationId: 'litho-3', inspections: 6 }] });
    expect(day.body.stations[0].buckets).toHaveLength(24);
    expect(week.body.bucketMinutes).toBe(360);
    expect(week.body.stations.map((station: { stationId: string }) => station.stationId)).toEqual(['etch-1', 'litho-3']);
    expect(week.body.stations[0].buckets).toHaveLength(28);
    expect(etch.body.stations).toEqual([expect.objectContaining({ stationId: 'etch-1', inspections: 1, anomalies: 1, calls: 0, acknowledged: 0 })]);
    expect(idle.body.stations).toEqual([expect.objectContaining({ stationId: 'cmp-2', inspections: 0, timeToAcknowledgeSeconds: { p50: null, p95: null } })]);
  });

  it('says partial when the window holds more records than it reads', async () => {
    // Act
    const { body } = await stats({ window: 'week' }, { maxRecords: 3 });

    // Assess: the newest three only.
    expect(body.partial).toBe(true);
    expect(body.stations).toEqual([expect.objectContaining({ stationId: 'litho-3', inspections: 3 })]);
  });

  it('refuses a bad window or station 400 naming it, and a camera 403', async () => {
    // Act
    const window = await stats({ window: 'month' });
    const station = await stats({ station: 'no spaces' });
    const camera = await stats({ window: 'day' }, { authorizer: cameraAuthorizer('litho-3') });

    // Assess
    expect(window).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_REQUEST', parameter: 'window' } } });
    expect(station).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_REQUEST', parameter: 'station' } } });
    expect(camera).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});
