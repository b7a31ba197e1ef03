import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAlertServices } from '../../local/alert-services';
import { alertEnv } from '../helpers/alert-env';

const validEnv = {
  IMAGE_BUCKET: 'waferwatch-images',
  CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
  CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
  OPERATOR_PHONE_NUMBER: '+447700900123',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

/** One SQS message carrying an S3 ObjectCreated notification, as the camera upload queue delivers it. */
function queued(bucket: string, key: string): SQSEvent {
  const notification = { Records: [{ eventName: 'ObjectCreated:Post', s3: { bucket: { name: bucket }, object: { key, size: 1 } } }] } as unknown as S3Event;
  return { Records: [{ messageId: 'message-1', body: JSON.stringify(notification), attributes: { ApproximateReceiveCount: '1' } }] } as unknown as SQSEvent;
}

describe('camera path entry points', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.each(['create-upload', 'process-camera-upload'])('%s fails its cold start naming a missing variable', async (name) => {
    for (const [key, value] of Object.entries(validEnv)) vi.stubEnv(key, value);
    vi.stubEnv('IMAGE_BUCKET', undefined);
    await expect(import(`../../functions/handlers/${name}.ts`)).rejects.toThrow(/IMAGE_BUCKET environment variable is not set/);
  });

  it('process-camera-upload keeps a camera image as not inspected, and in incoming/ for the retry, when the model cannot load', async () => {
    // Prepare: real S3 (s3rver) but a model path that does not exist.
    const { startLocalAwsStandIns } = await import('../helpers/local-aws-stand-ins');
    const { syntheticWafer } = await import('../fixtures/wafer-images');
    const { newInspectionId, recordKey } = await import('../../functions/core/inspection-keys');
    const standIns = await startLocalAwsStandIns();
    // The image claims (dynalite) and the alert queue (the SQS emulator): the pipeline checks the bytes before detecting.
    const alertServices = await startAlertServices();
    try {
      for (const [key, value] of Object.entries({
        ...standIns.env,
        ...alertEnv(alertServices),
        DETECTOR: 'embedded',
        EMBEDDED_MODEL_URI: '/nonexistent/model.wwm',
      }))
        vi.stubEnv(key, value);
      const bucket = standIns.names.bucket;
      const inspectionId = newInspectionId();
      await standIns.clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `incoming/${inspectionId}`,
          Body: await syntheticWafer('png'),
          ContentType: 'image/png',
          Metadata: { 'station-id': 'cmp-1' },
        }),
      );
      const { handler } = await import('../../functions/handlers/process-camera-upload');
      // Act
      const response = await handler(queued(bucket, `incoming/${inspectionId}`));
      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      const record = JSON.parse(
        await (await standIns.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: recordKey(inspectionId) }))).Body!.transformToString(),
      );
      expect(record).toMatchObject({
        inspectionId,
        source: 'camera',
        stationId: 'cmp-1',
        status: 'not-inspected',
        detectionError: { code: 'DETECTOR_UNAVAILABLE' },
      });
      await expect(standIns.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `incoming/${inspectionId}` }))).resolves.toBeDefined();
    } finally {
      await Promise.all([standIns.close(), alertServices.close()]);
    }
  });

  it('process-camera-upload refuses an object over CAMERA_MAX_IMAGE_BYTES into rejected/ without inspecting it', async () => {
    // Prepare
    const { startLocalAwsStandIns } = await import('../helpers/local-aws-stand-ins');
    const { newInspectionId } = await import('../../functions/core/inspection-keys');
    const standIns = await startLocalAwsStandIns();
    try {
      for (const [key, value] of Object.entries({ ...standIns.env, CAMERA_MAX_IMAGE_BYTES: '1000' })) vi.stubEnv(key, value);
      const bucket = standIns.names.bucket;
      const inspectionId = newInspectionId();
      await standIns.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `incoming/${inspectionId}`, Body: new Uint8Array(1001), ContentType: 'image/png' }),
      );
      const { handler } = await import('../../functions/handlers/process-camera-upload');
      // Act
      const response = await handler(queued(bucket, `incoming/${inspectionId}`));
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const note = JSON.parse(
        await (await standIns.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `rejected/${inspectionId}.json` }))).Body!.transformToString(),
      );
      expect(note).toMatchObject({ inspectionId, code: 'IMAGE_TOO_LARGE' });
      expect(note.message).toMatch(/1001 bytes; the limit is 1000 bytes/);
      await expect(standIns.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `incoming/${inspectionId}` }))).rejects.toMatchObject({
        name: 'NotFound',
      });
    } finally {
      await standIns.close();
    }
  });
});
