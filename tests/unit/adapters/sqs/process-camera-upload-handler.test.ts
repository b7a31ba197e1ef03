import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Detector } from '../../../../functions/core/ports/detector';
import { DetectorUnavailableError } from '../../../../functions/core/errors';
import { newInspectionId } from '../../../../functions/core/inspection-keys';
import { createCameraUploadQueueHandler, createProcessCameraUploadHandler } from '../../../../functions/adapters/sqs/process-camera-upload-handler';
import {
  InMemoryCameraUploads,
  InMemoryImageClaims,
  InMemoryInspectionStore,
  MemoryLogger,
  RecordingAlertPublisher,
  ScriptedDetector,
  verdict,
} from '../../../fixtures/fakes';
import { syntheticWafer } from '../../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../../functions/adapters/image-decoding/sharp-image-decoder';

const BUCKET = 'camera-test-bucket';
const MAX_BYTES = 64 * 1024;

function s3Event(key: string, bucket = BUCKET, eventName = 'ObjectCreated:Post'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-26T10:00:00.000Z',
        eventName,
        userIdentity: { principalId: 'AWS:TEST' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'incoming',
          bucket: { name: bucket, ownerIdentity: { principalId: 'o' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1, eTag: 'e', sequencer: '1' },
        },
      },
    ],
  };
}

function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({ messageId: `message-${index}`, body, attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord),
  };
}

describe('processing camera uploads (S3 ObjectCreated on incoming/)', () => {
  let jpeg: Buffer;
  let otherJpeg: Buffer;
  let store: InMemoryInspectionStore;
  let uploads: InMemoryCameraUploads;
  let alerts: RecordingAlertPublisher;
  let imageClaims: InMemoryImageClaims;
  let logger: MemoryLogger;
  let detector: ScriptedDetector;
  let loadDetector: () => Promise<Detector>;
  const alertPolicy = { confidenceThreshold: 0.5, reviewThreshold: 0.3 };
  const handler = () =>
    createProcessCameraUploadHandler(() => ({
      bucket: BUCKET,
      uploads,
      detector: loadDetector,
      defaultStationId: 'default',
      inspection: {
        store,
        alerts,
        imageClaims,
        logger,
        alertPolicy,
        decoder: new SharpImageDecoder(),
        limits: { maxBytes: MAX_BYTES, minSide: 64, maxSide: 4096 },
      },
    }));

  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 128, 128);
    otherJpeg = await syntheticWafer('jpeg', 130, 128);
  });
  beforeEach(() => {
    store = new InMemoryInspectionStore();
    uploads = new InMemoryCameraUploads();
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    logger = new MemoryLogger();
    detector = new ScriptedDetector(() => verdict(true, 0.9));
    loadDetector = async () => detector;
  });

  it('inspects a valid upload under the id minted for it, queues one alert, and removes it from incoming/', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg, stationId: 'litho-7' });
    // Act
    const result = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(result.outcomes).toEqual([{ status: 'inspected', inspectionId: id, inspectionStatus: 'anomalous' }]);
    const record = store.records.get(id)!;
    expect(record).toMatchObject({ inspectionId: id, source: 'camera', stationId: 'litho-7', status: 'anomalous', alert: { status: 'queued' } });
    expect(store.objects.get(record.image.key)).toEqual(jpeg);
    expect(alerts.messages).toEqual([
      { inspectionId: id, stationId: 'litho-7', confidencePercent: 90, queuedAt: (record.alert as { queuedAt: string }).queuedAt },
    ]);
    expect(uploads.objects.has(`incoming/${id}`)).toBe(false);
    expect(uploads.rejected.size).toBe(0);
  });

  it('uses the default station when the upload names none', async () => {
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    await handler()(s3Event(`incoming/${id}`));
    expect(store.records.get(id)?.stationId).toBe('default');
  });

  it('parks garbage under rejected/ with the reason, keeps no record and removes it from incoming/', async () => {
    // Prepare
    const id = newInspectionId();
    const garbage = new TextEncoder().encode('this is not a wafer image at all');
    uploads.objects.set(`incoming/${id}`, { bytes: garbage });
    // Act
    const result = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(result.outcomes).toEqual([{ status: 'rejected', inspectionId: id, code: 'UNSUPPORTED_IMAGE_TYPE' }]);
    const parked = uploads.rejected.get(`rejected/${id}`)!;
    expect(parked.bytes).toEqual(garbage);
    expect(parked.rejection).toMatchObject({ inspectionId: id, code: 'UNSUPPORTED_IMAGE_TYPE' });
    expect(parked.rejection.message).toMatch(/PNG and JPEG/);
    expect(store.records.size).toBe(0);
    expect(store.objects.size).toBe(0);
    expect(uploads.objects.size).toBe(0);
    expect(detector.calls).toBe(0);
  });

  it('refuses an object over the camera limit from its size alone, without reading it', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: new Uint8Array(MAX_BYTES + 1) });
    // Act
    const result = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(result.outcomes).toEqual([{ status: 'rejected', inspectionId: id, code: 'IMAGE_TOO_LARGE' }]);
    expect(uploads.reads).toBe(0);
    expect(uploads.rejected.get(`rejected/${id}`)?.rejection.code).toBe('IMAGE_TOO_LARGE');
    expect(uploads.objects.size).toBe(0);
  });

  it('parks an object under a key the server never handed out as UNEXPECTED_KEY', async () => {
    // Prepare
    uploads.objects.set('incoming/../../inspections/evil.jpg', { bytes: jpeg });
    // Act
    const result = await handler()(s3Event('incoming/../../inspections/evil.jpg'));
    // Assess
    expect(result.outcomes).toEqual([{ status: 'rejected', code: 'UNEXPECTED_KEY' }]);
    expect(uploads.rejected.get('rejected/.._.._inspections_evil.jpg')?.rejection.code).toBe('UNEXPECTED_KEY');
    expect(store.records.size).toBe(0);
    expect(detector.calls).toBe(0);
  });

  it('parks an upload whose station metadata is not a valid station id', async () => {
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg, stationId: '../etc' });
    const result = await handler()(s3Event(`incoming/${id}`));
    expect(result.outcomes).toEqual([{ status: 'rejected', inspectionId: id, code: 'MALFORMED_REQUEST' }]);
    expect(store.records.size).toBe(0);
  });

  it('keeps the image as not-inspected when the detector is unavailable, throws for a retry and leaves incoming/ alone', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    detector = new ScriptedDetector(() => Promise.reject(new DetectorUnavailableError('Model stopped')));
    // Act
    const run = handler()(s3Event(`incoming/${id}`));
    // Assess
    await expect(run).rejects.toMatchObject({ code: 'DETECTOR_UNAVAILABLE' });
    expect(store.records.get(id)).toMatchObject({ status: 'not-inspected', detectionError: { code: 'DETECTOR_UNAVAILABLE' } });
    expect(uploads.objects.has(`incoming/${id}`)).toBe(true);
    expect(uploads.rejected.size).toBe(0);
  });

  it('finishes the inspection on the retry once the detector is back', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    let available = false;
    detector = new ScriptedDetector(() => (available ? verdict(false, 0.95) : Promise.reject(new DetectorUnavailableError('Throttled'))));
    await expect(handler()(s3Event(`incoming/${id}`))).rejects.toThrow();
    available = true;
    // Act
    const result = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(result.outcomes).toEqual([{ status: 'inspected', inspectionId: id, inspectionStatus: 'normal' }]);
    expect(store.records.get(id)?.status).toBe('normal');
    expect(uploads.objects.size).toBe(0);
  });

  it('throws and keeps the upload in incoming/ when storage fails, storing no record', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    store.failImagePuts = 3;
    // Act
    const run = handler()(s3Event(`incoming/${id}`));
    // Assess
    await expect(run).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(uploads.objects.has(`incoming/${id}`)).toBe(true);
    expect(uploads.rejected.size).toBe(0);
    expect(store.records.size).toBe(0);
    expect(alerts.messages).toEqual([]);
  });

  it('does nothing on a redelivered event: no second inspection, no second alert message', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    await handler()(s3Event(`incoming/${id}`));
    // Act
    const again = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(again.outcomes).toEqual([{ status: 'already-processed', inspectionId: id }]);
    expect(detector.calls).toBe(1);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([id]);
  });

  it('does not inspect again when the record exists but the incoming object could not be deleted last time', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    await handler()(s3Event(`incoming/${id}`));
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    // Act
    const again = await handler()(s3Event(`incoming/${id}`));
    // Assess
    expect(again.outcomes).toEqual([{ status: 'already-processed', inspectionId: id }]);
    expect(detector.calls).toBe(1);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([id]);
    expect(uploads.objects.size).toBe(0);
  });

  it('queues the alert on the redelivery after the queue refused it, once, without inspecting or storing the image again', async () => {
    // Prepare
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    alerts.failNext = 1;
    await expect(handler()(s3Event(`incoming/${id}`))).rejects.toMatchObject({ code: 'ALERT_QUEUE_UNAVAILABLE', kind: 'unavailable' });
    expect(store.records.get(id)?.alert.status).toBe('not-queued');
    expect(uploads.objects.has(`incoming/${id}`)).toBe(true);
    const storedObjects = store.objects.size;

    // Act
    const redelivered = await handler()(s3Event(`incoming/${id}`));
    const afterThat = await handler()(s3Event(`incoming/${id}`));

    // Assess
    expect(redelivered.outcomes).toEqual([{ status: 'inspected', inspectionId: id, inspectionStatus: 'anomalous' }]);
    expect(afterThat.outcomes).toEqual([{ status: 'already-processed', inspectionId: id }]);
    expect(store.records.get(id)?.alert.status).toBe('queued');
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([id]);
    expect(detector.calls).toBe(1);
    expect(store.objects.size).toBe(storedObjects);
    expect(uploads.objects.size).toBe(0);
  });

  it('gives a second camera upload of the same bytes its own record pointing at the first inspection, with no second alert', async () => {
    // Prepare
    const [first, second] = [newInspectionId(), newInspectionId()];
    uploads.objects.set(`incoming/${first}`, { bytes: jpeg, stationId: 'litho-7' });
    uploads.objects.set(`incoming/${second}`, { bytes: jpeg, stationId: 'litho-7' });
    await handler()(s3Event(`incoming/${first}`));

    // Act
    const result = await handler()(s3Event(`incoming/${second}`));
    const redelivered = await handler()(s3Event(`incoming/${second}`));

    // Assess
    expect(result.outcomes).toEqual([{ status: 'inspected', inspectionId: second, inspectionStatus: 'anomalous' }]);
    expect(redelivered.outcomes).toEqual([{ status: 'already-processed', inspectionId: second }]);
    expect(store.records.get(second)).toMatchObject({
      inspectionId: second,
      duplicateOf: first,
      status: 'anomalous',
      alert: { status: 'skipped', reason: 'duplicate' },
      image: { key: store.records.get(first)!.image.key },
    });
    expect([...store.objects.keys()].filter((key) => key.endsWith('.jpg'))).toHaveLength(1);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([first]);
    expect(detector.calls).toBe(1);
    expect(uploads.objects.size).toBe(0);
  });

  it('ignores other buckets, other prefixes and removal events', async () => {
    const id = newInspectionId();
    uploads.objects.set(`incoming/${id}`, { bytes: jpeg });
    const results = await Promise.all([
      handler()(s3Event(`incoming/${id}`, 'another-bucket')),
      handler()(s3Event(`rejected/${id}`)),
      handler()(s3Event(`incoming/${id}`, BUCKET, 'ObjectRemoved:Delete')),
    ]);
    expect(results.map((result) => result.outcomes)).toEqual([[{ status: 'ignored' }], [{ status: 'ignored' }], [{ status: 'ignored' }]]);
    expect(detector.calls).toBe(0);
    expect(uploads.objects.size).toBe(1);
  });
  describe('through the S3 notification queue (the deployed entry)', () => {
    const queueHandler = () =>
      createCameraUploadQueueHandler(() => ({
        bucket: BUCKET,
        uploads,
        detector: loadDetector,
        defaultStationId: 'default',
        inspection: {
          store,
          alerts,
          imageClaims,
          logger,
          alertPolicy,
          decoder: new SharpImageDecoder(),
          limits: { maxBytes: MAX_BYTES, minSide: 64, maxSide: 4096 },
        },
      }));

    it('reports only the message whose upload failed on a dependency, after processing the others', async () => {
      // Prepare
      const good = newInspectionId();
      const bad = newInspectionId();
      // Two different photos: the same bytes would be one inspection, and the second would not reach the detector.
      uploads.objects.set(`incoming/${good}`, { bytes: jpeg });
      uploads.objects.set(`incoming/${bad}`, { bytes: otherJpeg });
      // The first upload is inspected; the detector is throttled by the time the second one comes.
      detector = new ScriptedDetector(() => (detector.calls === 1 ? verdict(false, 0.9) : Promise.reject(new DetectorUnavailableError('Throttled'))));
      // Act
      const response = await queueHandler()(sqsEvent([JSON.stringify(s3Event(`incoming/${good}`)), JSON.stringify(s3Event(`incoming/${bad}`))]));
      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      expect(store.records.get(good)?.status).toBe('normal');
      expect(store.records.get(bad)?.status).toBe('not-inspected');
      expect(uploads.objects.has(`incoming/${bad}`)).toBe(true);
    });

    it('reports each message of a batch in which every upload failed, instead of throwing', async () => {
      // Prepare: the model cannot be loaded for any upload
      const [first, second] = [newInspectionId(), newInspectionId()];
      uploads.objects.set(`incoming/${first}`, { bytes: jpeg });
      uploads.objects.set(`incoming/${second}`, { bytes: otherJpeg });
      loadDetector = () => Promise.reject(new DetectorUnavailableError('The model could not be loaded'));
      // Act
      const response = await queueHandler()(sqsEvent([JSON.stringify(s3Event(`incoming/${first}`)), JSON.stringify(s3Event(`incoming/${second}`))]));
      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }, { itemIdentifier: 'message-1' }]);
      expect([first, second].map((id) => uploads.objects.has(`incoming/${id}`))).toEqual([true, true]);
      expect(logger.lines.filter((line) => line.message === 'A camera upload message failed; SQS will redeliver it')).toHaveLength(2);
    });

    it("acknowledges S3's test event and reports a body that is no S3 event", async () => {
      // Act
      const response = await queueHandler()(
        sqsEvent([JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }), 'not json', '{"hello":1}']),
      );
      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }]);
      expect(detector.calls).toBe(0);
    });
  });
});
