import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { S3InspectionStore } from '../../../functions/adapters/s3/s3-inspection-store';
import type { CallAttempt, InspectionRecord } from '../../../functions/core/inspection';
import { inspectionKeys, newInspectionId } from '../../../functions/core/inspection-keys';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

const BUCKET = 'waferwatch-store-test';
const DAY = 24 * 60 * 60 * 1000;

function recordFor(inspectionId: string, imageKey: string, createdAt: string): InspectionRecord {
  return {
    inspectionId,
    stationId: 'litho-7',
    source: 'api',
    status: 'normal',
    image: { key: imageKey, contentType: 'image/png', sizeBytes: 10, width: 64, height: 64, sha256: 'ab'.repeat(32) },
    detection: { IsAnomalous: false, Confidence: 0.97, Anomalies: [], Detector: { name: 'lookoutvision', modelVersion: '1' } },
    alert: { status: 'skipped', reason: 'not-anomalous' },
    createdAt,
    updatedAt: createdAt,
  };
}

/** A ringing alert's record; its `attempts` is the array concurrent writers append to. */
function ringingRecordFor(inspectionId: string): InspectionRecord {
  const createdAt = new Date().toISOString();
  return {
    ...recordFor(inspectionId, inspectionKeys(inspectionId, 'png').image, createdAt),
    status: 'anomalous',
    alert: { status: 'ringing', startedAt: createdAt, level: 1, loop: 1, attempts: [] },
  };
}

/** A record with one more call attempt: what place-call and the contact-events function each do to a record. */
function withAttempt(record: InspectionRecord | undefined, inspectionId: string, contactId: string): InspectionRecord {
  const base = record ?? ringingRecordFor(inspectionId);
  const attempts = base.alert.status === 'ringing' ? base.alert.attempts : [];
  const attempt: CallAttempt = {
    step: attempts.length,
    level: 1,
    loop: 1,
    contactName: 'on call',
    phone: '+49******1234',
    contactId,
    startedAt: new Date().toISOString(),
    outcome: 'ringing',
  };
  return { ...base, alert: { status: 'ringing', startedAt: base.createdAt, level: 1, loop: 1, attempts: [...attempts, attempt] } };
}

function contactIdsOf(record: InspectionRecord | undefined): string[] {
  return record?.alert.status === 'ringing' ? record.alert.attempts.map((attempt) => attempt.contactId ?? '') : [];
}

describe('S3InspectionStore against s3rver', () => {
  let s3: S3Emulator;
  let client: ReturnType<typeof createS3Client>;

  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: [BUCKET] });
    client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });

  it('round-trips a binary image byte for byte with its content type and provenance metadata', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    const image = await makeTestWaferImage({ width: 200, height: 150, format: 'jpeg', redMarkSide: 20 });
    const inspectionId = newInspectionId();
    const keys = inspectionKeys(inspectionId, image.format);

    // Act
    await store.putImage(keys.image, image, { inspectionId, stationId: 'Ätzer 3', source: 'api' });
    const bytes = await store.getObject(keys.image);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys.image }));

    // Assess
    expect(keys.image).toMatch(/^inspections\/\d{4}\/\d{2}\/\d{2}\/[0-9A-Z]{26}\.jpg$/);
    expect(Buffer.from(bytes!).equals(image.bytes)).toBe(true);
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.Metadata).toEqual({
      sha256: image.sha256,
      size: String(image.sizeBytes),
      width: '200',
      height: '150',
      source: 'api',
      'station-id': encodeURIComponent('Ätzer 3'),
      'inspection-id': inspectionId,
    });
  });

  it('stores masks as PNG and records as JSON beside the image, and reads the record back', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    const inspectionId = newInspectionId();
    const keys = inspectionKeys(inspectionId, 'png');
    const mask = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const record = recordFor(inspectionId, keys.image, new Date().toISOString());

    // Act
    await store.putMask(keys.mask, mask);
    await store.putRecord(record);
    const maskHead = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys.mask }));
    const recordHead = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys.record }));
    const readBack = await store.getRecord(inspectionId);

    // Assess
    expect(maskHead.ContentType).toBe('image/png');
    expect(Buffer.from((await store.getObject(keys.mask))!)).toEqual(Buffer.from(mask));
    expect(recordHead.ContentType).toBe('application/json');
    expect(readBack).toEqual(record);
  });

  it('answers undefined for a missing record, a non-ULID id and a missing or foreign object', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private/secret.txt', Body: 'not for clients' }));

    // Act
    const results = await Promise.all([
      store.getRecord(newInspectionId()),
      store.getRecord('../../private/secret'),
      store.getRecord('01arz3ndektsv4rrffq69g5fav'),
      store.getObject('inspections/2026/01/01/01ARZ3NDEKTSV4RRFFQ69G5FAV.png'),
      store.getObject('private/secret.txt'),
    ]);

    // Assess
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('lists the newest records first across days, skipping masks and images and honouring the limit', async () => {
    // Prepare: a bucket of its own so other tests' records do not interleave.
    const bucket = 'waferwatch-list-test';
    const listing = await startS3Emulator({ buckets: [bucket] });
    const listClient = createS3Client({ region: 'us-east-1', endpoint: listing.endpoint });
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const store = new S3InspectionStore({ client: listClient, bucket, now: () => new Date(now) });
    const times = [now - 40 * DAY, now - 3 * DAY, now - 2 * DAY, now - 2 * DAY + 1000, now - 60_000, now - 1000];
    // ulid(time), not newInspectionId(time): the monotonic factory never goes back in time.
    const ids = times.map((time) => ulid(time));
    try {
      for (const [index, id] of ids.entries()) {
        const keys = inspectionKeys(id, 'png');
        await store.putRecord(recordFor(id, keys.image, new Date(times[index]!).toISOString()));
        await store.putMask(keys.mask, new Uint8Array([1]));
        await listClient.send(new PutObjectCommand({ Bucket: bucket, Key: keys.image, Body: 'x' }));
      }

      // Act
      const newestThree = await store.listRecentRecords(3);
      const all = await store.listRecentRecords(100);
      const none = await store.listRecentRecords(0);

      // Assess
      expect(newestThree.map((r) => r.inspectionId)).toEqual([ids[5], ids[4], ids[3]]);
      // The 40-day-old record is beyond the 31-day window.
      expect(all.map((r) => r.inspectionId)).toEqual([ids[5], ids[4], ids[3], ids[2], ids[1]]);
      expect(none).toEqual([]);
    } finally {
      listClient.destroy();
      await listing.close();
    }
  });

  it('pages through a day with more keys than one listing page holds', async () => {
    // Prepare: s3rver mints continuation tokens with DES, which needs --openssl-legacy-provider on Node >= 17
    // (set for the tests in vitest.config.ts and for npm start); two keys a page forces real paging over HTTP.
    const bucket = 'waferwatch-paging-test';
    const paging = await startS3Emulator({ buckets: [bucket] });
    const pagingClient = createS3Client({ region: 'us-east-1', endpoint: paging.endpoint });
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const store = new S3InspectionStore({ client: pagingClient, bucket, now: () => new Date(now), listPageSize: 2 });
    const ids = Array.from({ length: 7 }, (_, index) => ulid(now - 60_000 + index * 1000));
    try {
      for (const id of ids) {
        const keys = inspectionKeys(id, 'png');
        await store.putRecord(recordFor(id, keys.image, new Date(now).toISOString()));
        await store.putMask(keys.mask, new Uint8Array([1]));
      }

      // Act
      const listed = await store.listRecentRecords(5);

      // Assess
      expect(listed.map((record) => record.inspectionId)).toEqual([...ids].reverse().slice(0, 5));
    } finally {
      pagingClient.destroy();
      await paging.close();
    }
  });

  it('lists only records of one status, newest first, reading in bounded batches across pages and days', async () => {
    // Prepare
    const bucket = 'waferwatch-status-test';
    const filtered = await startS3Emulator({ buckets: [bucket] });
    const filteredClient = createS3Client({ region: 'us-east-1', endpoint: filtered.endpoint });
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const store = new S3InspectionStore({ client: filteredClient, bucket, now: () => new Date(now), listPageSize: 3 });
    const statuses = ['normal', 'needs-review', 'normal', 'anomalous', 'needs-review', 'normal', 'normal', 'needs-review'] as const;
    const ids = statuses.map((_, index) => ulid(now - (statuses.length - index) * 3 * 60 * 60 * 1000));
    try {
      for (const [index, id] of ids.entries()) {
        const keys = inspectionKeys(id, 'png');
        await store.putRecord({ ...recordFor(id, keys.image, new Date(now).toISOString()), status: statuses[index]! });
      }

      // Act
      const review = await store.listRecentRecords(10, { status: 'needs-review' });
      const newestReview = await store.listRecentRecords(2, { status: 'needs-review' });

      // Assess
      expect(review.map((record) => record.inspectionId)).toEqual([ids[7], ids[4], ids[1]]);
      expect(newestReview.map((record) => record.inspectionId)).toEqual([ids[7], ids[4]]);
    } finally {
      filteredClient.destroy();
      await filtered.close();
    }
  });

  it('pages the history over HTTP with a cursor: filtered, newest first across days, images and masks skipped, each record once', async () => {
    // Prepare: three keys a listing page, so slices span several listings; twelve records over four days.
    const bucket = 'waferwatch-history-test';
    const history = await startS3Emulator({ buckets: [bucket] });
    const historyClient = createS3Client({ region: 'us-east-1', endpoint: history.endpoint });
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    const store = new S3InspectionStore({ client: historyClient, bucket, now: () => new Date(now), listPageSize: 3 });
    const ids = Array.from({ length: 12 }, (_, index) => ulid(now - index * 7 * 60 * 60 * 1000 - 1000));
    try {
      for (const [index, id] of ids.entries()) {
        const keys = inspectionKeys(id, 'png');
        await store.putRecord({
          ...recordFor(id, keys.image, new Date(now - index * 7 * 60 * 60 * 1000).toISOString()),
          stationId: index % 3 ? 'etch-1' : 'litho-3',
        });
        await store.putMask(keys.mask, new Uint8Array([1]));
        await historyClient.send(new PutObjectCommand({ Bucket: bucket, Key: keys.image, Body: 'x' }));
      }

      // Act
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.pageRecords({ limit: 2, filter: { stationId: 'litho-3' }, ...(cursor ? { cursor } : {}) });
        pages.push(page.records.map((record) => record.inspectionId));
        cursor = page.next;
      } while (cursor && pages.length < 20);
      const all = await store.pageRecords({ limit: 100, filter: { fromMs: now - 4 * DAY } });

      // Assess
      expect(pages.flat()).toEqual(ids.filter((_, index) => index % 3 === 0));
      expect(pages[0]).toHaveLength(2);
      expect(all.records.map((record) => record.inspectionId)).toEqual(ids);
      expect(all.next).toBeUndefined();
    } finally {
      historyClient.destroy();
      await history.close();
    }
  });

  it('keeps every one of 20 concurrent updates of one record, where plain read-then-put loses some', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    const updated = newInspectionId();
    const overwritten = newInspectionId();
    await store.putRecord(ringingRecordFor(updated));
    await store.putRecord(ringingRecordFor(overwritten));
    const contactIds = Array.from({ length: 20 }, (_, index) => `contact-${String(index).padStart(2, '0')}`);

    // Act
    const results = await Promise.all(contactIds.map((contactId) => store.updateRecord(updated, (current) => withAttempt(current, updated, contactId))));
    await Promise.all(contactIds.map(async (contactId) => store.putRecord(withAttempt(await store.getRecord(overwritten), overwritten, contactId))));

    // Assess
    expect(contactIdsOf(await store.getRecord(updated)).sort()).toEqual(contactIds);
    // Each call resolves with the record it wrote, which already holds every attempt written before it.
    for (const [index, result] of results.entries()) expect(contactIdsOf(result)).toContain(contactIds[index]);
    expect(contactIdsOf(await store.getRecord(overwritten)).length).toBeLessThan(contactIds.length);
  });

  it('keeps every one of concurrent updates that race to create a record that does not exist yet', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    const inspectionId = newInspectionId();
    const contactIds = Array.from({ length: 8 }, (_, index) => `first-${index}`);

    // Act
    await Promise.all(contactIds.map((contactId) => store.updateRecord(inspectionId, (current) => withAttempt(current, inspectionId, contactId))));

    // Assess
    expect(contactIdsOf(await store.getRecord(inspectionId)).sort()).toEqual(contactIds);
  });

  it('leaves the record untouched when the change declines, and answers the record as stored', async () => {
    // Prepare
    const store = new S3InspectionStore({ client, bucket: BUCKET });
    const inspectionId = newInspectionId();
    await store.putRecord(ringingRecordFor(inspectionId));
    const before = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: inspectionKeys(inspectionId, 'png').record }));

    // Act
    const answered = await store.updateRecord(inspectionId, () => undefined);
    const nothing = await store.updateRecord(newInspectionId(), () => undefined);

    // Assess
    const after = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: inspectionKeys(inspectionId, 'png').record }));
    expect(answered).toEqual(await store.getRecord(inspectionId));
    expect(nothing).toBeUndefined();
    expect(after.ETag).toBe(before.ETag);
  });
});
