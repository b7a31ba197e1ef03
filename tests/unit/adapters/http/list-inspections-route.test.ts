import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { Detector } from '../../../../functions/core/ports/detector';
import { createInspectImageHandler } from '../../../../functions/adapters/http/inspect-image-route';
import { createListInspectionsHandler } from '../../../../functions/adapters/http/list-inspections-route';
import { MAX_RECORD_READS_PER_PAGE, S3InspectionStore } from '../../../../functions/adapters/s3/s3-inspection-store';
import type { AlertOutcome, InspectionRecord } from '../../../../functions/core/inspection';
import { inspectionKeys } from '../../../../functions/core/inspection-keys';
import { apiEvent, cameraAuthorizer, lambdaContext, rawUploadEvent } from '../../../fixtures/api-events';
import { InMemoryImageClaims, MemoryLogger, RecordingAlertPublisher, ScriptedDetector, verdict } from '../../../fixtures/fakes';
import { InMemoryS3 } from '../../../fixtures/in-memory-s3';
import { syntheticWafer } from '../../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../../functions/adapters/image-decoding/sharp-image-decoder';

const ORIGIN = 'https://inspect.fab.example';
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Listed = { inspections: InspectionRecord[]; nextCursor: string | null };

/** A stored record minted at `atMs` (createdAt a second later, as the pipeline writes it). */
function recordAt(atMs: number, overrides: Partial<InspectionRecord> = {}): InspectionRecord {
  const inspectionId = ulid(atMs);
  const createdAt = new Date(atMs + 1000).toISOString();
  return {
    inspectionId,
    stationId: 'litho-3',
    source: 'api',
    status: 'normal',
    image: { key: inspectionKeys(inspectionId, 'png').image, contentType: 'image/png', sizeBytes: 10, width: 64, height: 64, sha256: inspectionId },
    alert: { status: 'skipped', reason: 'not-anomalous' },
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

const ringing: AlertOutcome = { status: 'ringing', level: 1, loop: 1, startedAt: new Date(NOW).toISOString(), attempts: [] };
const acknowledged: AlertOutcome = {
  status: 'acknowledged',
  acknowledgedAt: new Date(NOW).toISOString(),
  acknowledgedBy: { contactName: 'Line operator', contactId: 'c-1', key: '2', decision: 'scrap', at: new Date(NOW).toISOString() },
};

describe('GET /inspections (createListInspectionsHandler)', () => {
  let s3: InMemoryS3;
  let store: S3InspectionStore;
  let alerts: RecordingAlertPublisher;
  let imageClaims: InMemoryImageClaims;
  let logger: MemoryLogger;
  let detector: Detector;
  /** Four different wafer photos: the same bytes sent again are the same inspection, so listing needs distinct ones. */
  let distinctJpegs: Buffer[];

  const inspectHandler = () =>
    createInspectImageHandler(() => ({
      allowedOrigins: [ORIGIN],
      logger,
      detector: async () => detector,
      inspection: {
        store,
        alerts,
        imageClaims,
        logger,
        alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
        decoder: new SharpImageDecoder(),
        limits: { maxBytes: 1 << 20, minSide: 64, maxSide: 4096 },
      },
    }));
  const listHandler = () => createListInspectionsHandler(() => ({ allowedOrigins: [ORIGIN], logger, store }));
  const list = async (query: Record<string, string>) => {
    const response = await listHandler()(apiEvent({ httpMethod: 'GET', queryStringParameters: query }), lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) as Listed & { error?: { code: string; message: string; parameter?: string } } };
  };
  /** Every page of a listing, following nextCursor until it is null. */
  const everyPage = async (query: Record<string, string>) => {
    const pages: Listed[] = [];
    let cursor: string | null = null;
    do {
      const { status, body } = await list({ ...query, ...(cursor ? { cursor } : {}) });
      expect(status).toBe(200);
      pages.push(body);
      cursor = body.nextCursor;
    } while (cursor !== null && pages.length < 50);
    return pages;
  };
  const idsOf = (pages: Listed[]) => pages.flatMap((page) => page.inspections.map((record) => record.inspectionId));

  beforeAll(async () => {
    distinctJpegs = await Promise.all([129, 130, 131, 132].map((width) => syntheticWafer('jpeg', width, 128)));
  });
  beforeEach(() => {
    s3 = new InMemoryS3();
    store = new S3InspectionStore({ client: s3.client, bucket: 'images', now: () => new Date(NOW), listPageSize: 7 });
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    logger = new MemoryLogger();
    detector = new ScriptedDetector(() => verdict(true, 0.93, new Uint8Array([0x89, 0x50])));
  });

  it('lists recent inspections newest first, honouring and checking limit', async () => {
    store = new S3InspectionStore({ client: s3.client, bucket: 'images' });
    detector = new ScriptedDetector(() => verdict(false, 0.9));
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push(JSON.parse((await inspectHandler()(rawUploadEvent(distinctJpegs[i]!), lambdaContext)).body).inspectionId);
    const listed = await list({ limit: '2' });
    expect(listed.body.inspections.map((record) => record.inspectionId)).toEqual([ids[2], ids[1]]);
    expect(listed.body.nextCursor).toEqual(expect.any(String));
    for (const limit of ['0', '101', 'ten', '1.5']) {
      const response = await list({ limit });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', parameter: 'limit' });
    }
  });

  it('lists only inspections of the asked status, e.g. the needs-review queue, and refuses unknown statuses', async () => {
    // Prepare: confidence bands 0.3 (review) and 0.5 (call): a normal verdict held at 60 % is 40 % likely anomalous.
    store = new S3InspectionStore({ client: s3.client, bucket: 'images' });
    const answers = [verdict(false, 0.6), verdict(false, 0.95), verdict(false, 0.65), verdict(true, 0.9)];
    detector = new ScriptedDetector(() => answers.shift()!);
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) ids.push(JSON.parse((await inspectHandler()(rawUploadEvent(distinctJpegs[i]!), lambdaContext)).body).inspectionId);

    // Act
    const review = await list({ status: 'needs-review' });
    const bad = await list({ status: 'pending' });

    // Assess
    expect(review.body.inspections.map((record) => [record.inspectionId, record.status])).toEqual([
      [ids[2], 'needs-review'],
      [ids[0], 'needs-review'],
    ]);
    expect(review.body.nextCursor).toBeNull();
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', parameter: 'status' });
  });

  it('pages newest first across days with filters, each record once, until nextCursor is null', async () => {
    // Prepare: 40 records over 10 days, every fourth one litho-3's open alert (queued, ringing or unacknowledged).
    const seeded: InspectionRecord[] = [];
    for (let index = 0; index < 40; index += 1) {
      const open = index % 4 === 0;
      const alert: AlertOutcome = open
        ? [
            { status: 'queued', queuedAt: new Date(NOW).toISOString() } as AlertOutcome,
            ringing,
            { ...ringing, status: 'unacknowledged', unacknowledgedAt: new Date(NOW).toISOString() } as AlertOutcome,
          ][index % 3]!
        : index % 4 === 1
          ? acknowledged
          : { status: 'skipped', reason: 'not-anomalous' };
      const record = recordAt(NOW - index * 6 * HOUR - 1000, {
        stationId: index % 8 < 4 || open ? 'litho-3' : 'etch-1',
        status: open || index % 4 === 1 ? 'anomalous' : 'normal',
        alert,
        ...(index % 4 === 1 ? { decision: { decision: 'scrap', key: '2', contactId: 'c-1', decidedAt: new Date(NOW).toISOString() } } : {}),
      });
      seeded.push(record);
      await store.putRecord(record);
      await store.putMask(inspectionKeys(record.inspectionId, 'png').mask, new Uint8Array([1]));
    }
    const newestFirst = (keep: (record: InspectionRecord) => boolean) => seeded.filter(keep).map((record) => record.inspectionId);

    // Act
    const openPages = await everyPage({ station: 'litho-3', alert: 'open', limit: '3' });
    const scrapped = await everyPage({ decision: 'scrap', limit: '4' });
    const undecidedEtch = await everyPage({ decision: 'none', station: 'etch-1', limit: '100' });
    const all = await everyPage({ limit: '7' });
    const acknowledgedAnomalies = await everyPage({ alert: 'acknowledged', status: 'anomalous', limit: '2' });

    // Assess
    expect(idsOf(openPages)).toEqual(
      newestFirst((record) => record.stationId === 'litho-3' && ['queued', 'ringing', 'unacknowledged'].includes(record.alert.status)),
    );
    expect(idsOf(openPages)).toHaveLength(10);
    expect(openPages.slice(0, -1).every((page) => page.inspections.length === 3)).toBe(true);
    expect(openPages.at(-1)?.nextCursor).toBeNull();
    expect(idsOf(scrapped)).toEqual(newestFirst((record) => record.decision?.decision === 'scrap'));
    expect(idsOf(undecidedEtch)).toEqual(newestFirst((record) => record.stationId === 'etch-1' && !record.decision));
    expect(idsOf(all)).toEqual(seeded.map((record) => record.inspectionId));
    expect(idsOf(acknowledgedAnomalies)).toEqual(newestFirst((record) => record.alert.status === 'acknowledged'));
  });

  it('filters on createdAt with from and to, and reaches back past the default 31 days when from asks', async () => {
    // Prepare
    const times = [NOW - 2 * HOUR, NOW - 30 * HOUR, NOW - 3 * DAY, NOW - 40 * DAY];
    const seeded = times.map((time) => recordAt(time));
    for (const record of seeded) await store.putRecord(record);

    // Act
    const defaultWindow = await everyPage({});
    const between = await everyPage({ from: new Date(NOW - 4 * DAY).toISOString(), to: new Date(NOW - 29 * HOUR).toISOString() });
    const longAgo = await everyPage({ from: '2026-10-01T00:00:00Z', to: '2026-10-31T23:59:59.999+00:00' });

    // Assess
    expect(idsOf(defaultWindow)).toEqual(seeded.slice(0, 3).map((record) => record.inspectionId));
    expect(idsOf(between)).toEqual([seeded[1]!.inspectionId, seeded[2]!.inspectionId]);
    expect(idsOf(longAgo)).toEqual([seeded[3]!.inspectionId]);
  });

  it('bounds the records read per page, answering a short (even empty) page with a cursor to continue', async () => {
    // Prepare: 600 recent etch-1 records above 2 older litho-3 ones.
    const older = [recordAt(NOW - 5 * DAY - 1000), recordAt(NOW - 5 * DAY)];
    for (const record of older) await store.putRecord(record);
    for (let index = 0; index < 600; index += 1) await store.putRecord(recordAt(NOW - 2 * DAY + index * 60_000, { stationId: 'etch-1' }));

    // Act
    const reads: number[] = [];
    const pages: Listed[] = [];
    let cursor: string | null = null;
    do {
      const before = s3.requests.get;
      const { body } = await list({ station: 'litho-3', limit: '5', ...(cursor ? { cursor } : {}) });
      reads.push(s3.requests.get - before);
      pages.push(body);
      cursor = body.nextCursor;
    } while (cursor !== null && pages.length < 10);

    // Assess
    expect(Math.max(...reads)).toBeLessThanOrEqual(MAX_RECORD_READS_PER_PAGE);
    expect(pages[0]).toEqual({ inspections: [], nextCursor: expect.any(String) });
    expect(idsOf(pages)).toEqual([older[1]!.inspectionId, older[0]!.inspectionId]);
    expect(pages.length).toBe(4);
  });

  it('refuses bad parameters 400 MALFORMED_REQUEST naming each, a foreign or tampered cursor included', async () => {
    // Prepare
    for (let index = 0; index < 3; index += 1) await store.putRecord(recordAt(NOW - index * HOUR - 1000));
    const { body: first } = await list({ limit: '1', station: 'litho-3' });
    const tampered = Buffer.from(JSON.stringify({ v: 1, b: 'not-a-position', w: 3_600_000, f: 'x' })).toString('base64url');

    // Act
    const answers = await Promise.all(
      (
        [
          { station: '../etc' },
          { status: 'broken' },
          { decision: 'maybe' },
          { alert: 'loud' },
          { from: 'yesterday' },
          { to: '2026-11-26' },
          { from: '2026-11-26T10:00:00Z', to: '2026-11-26T09:00:00Z' },
          { cursor: 'not a cursor!' },
          { cursor: tampered },
          { cursor: first.nextCursor!, station: 'etch-1' },
        ] as Array<Record<string, string>>
      ).map(async (query) => ({ query, answer: await list(query) })),
    );
    const followed = await list({ limit: '1', station: 'litho-3', cursor: first.nextCursor! });

    // Assess
    expect(answers.map(({ answer }) => [answer.status, answer.body.error?.code, answer.body.error?.parameter])).toEqual([
      [400, 'MALFORMED_REQUEST', 'station'],
      [400, 'MALFORMED_REQUEST', 'status'],
      [400, 'MALFORMED_REQUEST', 'decision'],
      [400, 'MALFORMED_REQUEST', 'alert'],
      [400, 'MALFORMED_REQUEST', 'from'],
      [400, 'MALFORMED_REQUEST', 'to'],
      [400, 'MALFORMED_REQUEST', 'from'],
      [400, 'MALFORMED_REQUEST', 'cursor'],
      [400, 'MALFORMED_REQUEST', 'cursor'],
      [400, 'MALFORMED_REQUEST', 'cursor'],
    ]);
    for (const { answer } of answers) expect(answer.body.error?.message).toMatch(/"(station|status|decision|alert|from|to|cursor)"/);
    expect(followed.status).toBe(200);
    expect(followed.body.inspections).toHaveLength(1);
  });

  it('is for people: a camera key may not list the history (403)', async () => {
    const response = await listHandler()(
      apiEvent({ httpMethod: 'GET', requestContext: { requestId: 'r', stage: 't', authorizer: cameraAuthorizer('litho-3') } as never }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(403);
  });
});
