import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ulid } from 'ulid';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_UPDATE_ATTEMPTS, MAX_UPDATE_BACKOFF_MS, S3InspectionStore } from '../../../../functions/adapters/s3/s3-inspection-store';
import type { InspectionRecord } from '../../../../functions/core/inspection';
import { inspectionKeys, recordKey } from '../../../../functions/core/inspection-keys';
import type { ValidatedWaferImage } from '../../../../functions/core/wafer-image';

const BUCKET = 'images';
const NOW = Date.UTC(2026, 10, 26, 9, 30, 0);
const DAY = 86_400_000;
const s3 = mockClient(S3Client);

/** The part of the SDK's streaming body the store uses. */
function body(text: string) {
  return { transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } as never;
}

function recordOf(inspectionId: string): InspectionRecord {
  return {
    inspectionId,
    stationId: 'etch-2',
    source: 'camera',
    status: 'not-inspected',
    image: { key: inspectionKeys(inspectionId, 'png').image, contentType: 'image/png', sizeBytes: 3, width: 64, height: 64, sha256: 'cd'.repeat(32) },
    detectionError: { code: 'DETECTOR_UNAVAILABLE', message: 'busy' },
    alert: { status: 'skipped', reason: 'not-inspected' },
    createdAt: new Date(NOW).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
  };
}

describe('S3InspectionStore', () => {
  let store: S3InspectionStore;

  beforeEach(() => {
    s3.reset();
    store = new S3InspectionStore({ client: new S3Client({ region: 'us-east-1' }), bucket: BUCKET, now: () => new Date(NOW) });
  });

  it('puts the image with its content type, length and provenance metadata', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const image: ValidatedWaferImage = {
      bytes: Buffer.from([1, 2, 3]),
      format: 'png',
      contentType: 'image/png',
      width: 640,
      height: 480,
      sizeBytes: 3,
      sha256: 'ef'.repeat(32),
    };
    const id = ulid(NOW);

    // Act
    await store.putImage(inspectionKeys(id, 'png').image, image, { inspectionId: id, stationId: 'litho 7\n', source: 'api' });

    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: inspectionKeys(id, 'png').image,
      Body: image.bytes,
      ContentType: 'image/png',
      ContentLength: 3,
      ChecksumSHA256: Buffer.from(image.sha256, 'hex').toString('base64'),
      Metadata: {
        sha256: image.sha256,
        size: '3',
        width: '640',
        height: '480',
        source: 'api',
        'station-id': 'litho%207%0A',
        'inspection-id': id,
      },
    });
  });

  it('puts masks as image/png and records as application/json at the record key', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const id = ulid(NOW);
    const record = recordOf(id);

    // Act
    await store.putMask(inspectionKeys(id, 'png').mask, new Uint8Array([9, 9]));
    await store.putRecord(record);

    // Assess
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: inspectionKeys(id, 'png').mask, ContentType: 'image/png', ContentLength: 2 });
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: recordKey(id), ContentType: 'application/json', Body: JSON.stringify(record) });
  });

  it('refuses to write a record whose id is not a ULID', async () => {
    // Act
    const attempt = store.putRecord({ ...recordOf(ulid(NOW)), inspectionId: '../escape' });

    // Assess
    await expect(attempt).rejects.toThrow(/not a ULID/);
    expect(s3).not.toReceiveAnyCommand();
  });

  it('reads a record back by id', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: recordKey(id) }).resolves({ Body: body(JSON.stringify(recordOf(id))) });

    // Act
    const record = await store.getRecord(id);

    // Assess
    expect(record).toEqual(recordOf(id));
  });

  it('answers undefined for NoSuchKey and for a bare 404, and sends nothing for a non-ULID id', async () => {
    // Prepare
    s3.on(GetObjectCommand)
      .rejectsOnce(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }))
      .rejectsOnce(new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: '' }));

    // Act
    const first = await store.getRecord(ulid(NOW));
    const second = await store.getObject(inspectionKeys(ulid(NOW), 'jpeg').image);
    const unchecked = await store.getRecord('inspections/../../etc');

    // Assess
    expect([first, second, unchecked]).toEqual([undefined, undefined, undefined]);
    expect(s3).toReceiveCommandTimes(GetObjectCommand, 2);
  });

  it('lets other S3 failures through', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }),
    );

    // Act
    const attempt = store.getRecord(ulid(NOW));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('does not read objects outside inspections/', async () => {
    // Act
    const result = await store.getObject('config/secrets.json');

    // Assess
    expect(result).toBeUndefined();
    expect(s3).not.toReceiveAnyCommand();
  });

  it('lists day by day from today, pages within a day, keeps only record keys and stops once it has enough', async () => {
    // Prepare
    const todayIds = [ulid(NOW - 3_000), ulid(NOW - 2_000), ulid(NOW - 1_000)];
    const yesterdayIds = [ulid(NOW - DAY - 5_000), ulid(NOW - DAY)];
    const today = 'inspections/2026/11/26/';
    const yesterday = 'inspections/2026/11/25/';
    s3.on(ListObjectsV2Command, { Prefix: today, ContinuationToken: undefined }).resolves({
      IsTruncated: true,
      NextContinuationToken: 'page-2',
      Contents: [{ Key: `${today}${todayIds[0]}.json` }, { Key: `${today}${todayIds[0]}.mask.png` }, { Key: `${today}${todayIds[0]}.png` }],
    });
    s3.on(ListObjectsV2Command, { Prefix: today, ContinuationToken: 'page-2' }).resolves({
      IsTruncated: false,
      Contents: [{ Key: `${today}${todayIds[1]}.json` }, { Key: `${today}${todayIds[2]}.json` }, { Key: `${today}not-a-ulid.json` }],
    });
    s3.on(ListObjectsV2Command, { Prefix: yesterday }).resolves({
      IsTruncated: false,
      Contents: yesterdayIds.map((id) => ({ Key: `${yesterday}${id}.json` })),
    });
    for (const id of [...todayIds, ...yesterdayIds]) {
      s3.on(GetObjectCommand, { Key: recordKey(id) }).callsFake(async () => ({ Body: body(JSON.stringify(recordOf(id))) }));
    }

    // Act
    const newestFour = await store.listRecentRecords(4);

    // Assess
    expect(newestFour.map((r) => r.inspectionId)).toEqual([todayIds[2], todayIds[1], todayIds[0], yesterdayIds[1]]);
    expect(s3).toReceiveCommandTimes(ListObjectsV2Command, 3);
    expect(s3).toReceiveCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: today, ContinuationToken: 'page-2' });
    expect(s3).toReceiveCommandTimes(GetObjectCommand, 4);
  });

  it('walks back at most the configured number of days', async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: [] });
    const shortMemory = new S3InspectionStore({ client: new S3Client({ region: 'us-east-1' }), bucket: BUCKET, now: () => new Date(NOW), listDaysBack: 3 });

    // Act
    const records = await shortMemory.listRecentRecords(10);

    // Assess
    expect(records).toEqual([]);
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual([
      'inspections/2026/11/26/',
      'inspections/2026/11/25/',
      'inspections/2026/11/24/',
    ]);
  });

  it('fetches records concurrently but never more than 16 at a time', async () => {
    // Prepare
    const ids = Array.from({ length: 40 }, (_, i) => ulid(NOW - i * 1000));
    s3.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: ids.map((id) => ({ Key: recordKey(id) })) });
    let inFlight = 0;
    let peak = 0;
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      const id = input.Key.slice(-31, -5);
      return { Body: body(JSON.stringify(recordOf(id))) };
    });

    // Act
    const records = await store.listRecentRecords(30);

    // Assess
    expect(records).toHaveLength(30);
    expect(records[0]?.inspectionId).toBe(ids[0]);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(16);
  });
});

describe('S3InspectionStore.updateRecord', () => {
  const preconditionFailed = () =>
    new S3ServiceException({
      name: 'PreconditionFailed',
      $fault: 'client',
      $metadata: { httpStatusCode: 412 },
      message: 'At least one of the pre-conditions you specified did not hold',
    });
  let delays: number[];
  let store: S3InspectionStore;

  beforeEach(() => {
    s3.reset();
    delays = [];
    store = new S3InspectionStore({
      client: new S3Client({ region: 'us-east-1' }),
      bucket: BUCKET,
      now: () => new Date(NOW),
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
  });

  it('writes a record that does not exist yet only if it still does not (IfNoneMatch *)', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }));
    s3.on(PutObjectCommand).resolves({ ETag: '"new"' });
    const seen: Array<InspectionRecord | undefined> = [];

    // Act
    const stored = await store.updateRecord(id, (current) => {
      seen.push(current);
      return recordOf(id);
    });

    // Assess
    expect(seen).toEqual([undefined]);
    expect(stored).toEqual(recordOf(id));
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
    expect(s3).toReceiveCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: recordKey(id),
      IfNoneMatch: '*',
      ContentType: 'application/json',
      Body: JSON.stringify(recordOf(id)),
    });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfMatch).toBeUndefined();
  });

  it('replaces an existing record only if its ETag is still the one read (IfMatch)', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: recordKey(id) }).resolves({ Body: body(JSON.stringify(recordOf(id))), ETag: '"etag-1"' });
    s3.on(PutObjectCommand).resolves({ ETag: '"etag-2"' });

    // Act
    const stored = await store.updateRecord(id, (current) => current && { ...current, status: 'normal' });

    // Assess
    expect(stored?.status).toBe('normal');
    expect(s3).toReceiveCommandWith(PutObjectCommand, { Key: recordKey(id), IfMatch: '"etag-1"', Body: JSON.stringify({ ...recordOf(id), status: 'normal' }) });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBeUndefined();
  });

  it("on 412 (and on 409) reads the newer record and applies the change to it, keeping the other writer's change", async () => {
    // Prepare
    const id = ulid(NOW);
    const theirs = { ...recordOf(id), updatedAt: 'their change' };
    const later = { ...theirs, stationId: 'their second change' };
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' })
      .resolvesOnce({ Body: body(JSON.stringify(theirs)), ETag: '"v2"' })
      .resolvesOnce({ Body: body(JSON.stringify(later)), ETag: '"v3"' });
    s3.on(PutObjectCommand)
      .rejectsOnce(preconditionFailed())
      .rejectsOnce(new S3ServiceException({ name: 'ConditionalRequestConflict', $fault: 'client', $metadata: { httpStatusCode: 409 }, message: 'conflict' }))
      .resolves({});
    const seen: Array<string | undefined> = [];

    // Act
    const stored = await store.updateRecord(id, (current) => {
      seen.push(current?.updatedAt);
      return current && { ...current, status: 'normal' };
    });

    // Assess
    expect(seen).toEqual([recordOf(id).updatedAt, 'their change', 'their change']);
    expect(stored).toEqual({ ...later, status: 'normal' });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.IfMatch)).toEqual(['"v1"', '"v2"', '"v3"']);
    expect(s3).toReceiveCommandTimes(GetObjectCommand, 3);
    expect(delays).toHaveLength(2);
  });

  it('when the record was deleted after the read (If-Match answered 404), reads again and creates it with IfNoneMatch *', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' })
      .rejectsOnce(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }));
    s3.on(PutObjectCommand)
      .rejectsOnce(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }))
      .resolves({});

    // Act
    const stored = await store.updateRecord(id, (current) => current ?? recordOf(id));

    // Assess
    expect(stored).toEqual(recordOf(id));
    expect(s3.commandCalls(PutObjectCommand).map(({ args: [{ input }] }) => [input.IfMatch, input.IfNoneMatch])).toEqual([
      ['"v1"', undefined],
      [undefined, '*'],
    ]);
  });

  it('writes nothing when the change returns undefined, and answers the record as it stands', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' });

    // Act
    const stored = await store.updateRecord(id, () => undefined);

    // Assess
    expect(stored).toEqual(recordOf(id));
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });

  it('gives up with a clear error after the bounded number of rounds, pausing a bounded while between them', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' });
    s3.on(PutObjectCommand).rejects(preconditionFailed());

    // Act
    const attempt = store.updateRecord(id, (current) => current && { ...current, status: 'normal' });

    // Assess
    await expect(attempt).rejects.toThrow(
      `Could not update inspection record ${id}: other writers changed it during each of ${DEFAULT_UPDATE_ATTEMPTS} attempts`,
    );
    await expect(attempt).rejects.toMatchObject({ cause: { name: 'PreconditionFailed' } });
    expect(s3).toReceiveCommandTimes(GetObjectCommand, DEFAULT_UPDATE_ATTEMPTS);
    expect(s3).toReceiveCommandTimes(PutObjectCommand, DEFAULT_UPDATE_ATTEMPTS);
    expect(delays).toHaveLength(DEFAULT_UPDATE_ATTEMPTS - 1);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(0);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(MAX_UPDATE_BACKOFF_MS);
  });

  it('lets other write failures through at once, without retrying', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' });
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }),
    );

    // Act
    const attempt = store.updateRecord(id, (current) => current);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s3).toReceiveCommandTimes(PutObjectCommand, 1);
  });

  it('refuses an id that is not a ULID and a change that returns a record of another inspection', async () => {
    // Prepare
    const id = ulid(NOW);
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(recordOf(id))), ETag: '"v1"' });

    // Act
    const badId = store.updateRecord('../escape', () => recordOf(id));
    const otherRecord = store.updateRecord(id, () => recordOf(ulid(NOW + 1)));

    // Assess
    await expect(badId).rejects.toThrow(/not a ULID/);
    await expect(otherRecord).rejects.toThrow(/returned a record for/);
    expect(s3).not.toReceiveCommand(PutObjectCommand);
  });
});
