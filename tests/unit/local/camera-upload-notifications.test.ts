import type { S3Event, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createCameraUploadDelivery } from '../../../local/camera-upload-notifications';

const BUCKET = 'waferwatch-local-images';

function s3Event(key: string, eventName = 'ObjectCreated:Post', bucket = BUCKET): S3Event {
  return { Records: [{ eventName, s3: { bucket: { name: bucket }, object: { key } } }] } as unknown as S3Event;
}

describe('local camera upload delivery (stands in for S3 -> SQS -> Lambda)', () => {
  it('delivers ObjectCreated under incoming/ of the bucket as one SQS message carrying the S3 event, and nothing else', async () => {
    // Prepare
    const received: SQSEvent[] = [];
    const delivery = createCameraUploadDelivery({ bucket: BUCKET, log: () => {} });
    delivery.attach(async (event) => {
      received.push(event);
      return { batchItemFailures: [] };
    });
    // Act
    delivery.notify(s3Event('incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5'));
    delivery.notify(s3Event('inspections/2026/11/26/x.json', 'ObjectCreated:Put'));
    delivery.notify(s3Event('rejected/x', 'ObjectCreated:Copy'));
    delivery.notify(s3Event('incoming/y', 'ObjectRemoved:Delete'));
    delivery.notify(s3Event('incoming/z', 'ObjectCreated:Put', 'another-bucket'));
    await delivery.idle();
    // Assess
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.Records[0]!.body)).toEqual(s3Event('incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5'));
  });

  it('redelivers a message reported as failed, counting receives, until it succeeds', async () => {
    // Prepare
    const counts: string[] = [];
    const delivery = createCameraUploadDelivery({ bucket: BUCKET, log: () => {}, retryDelayMs: 1 });
    delivery.attach(async (event) => {
      const record = event.Records[0]!;
      counts.push(record.attributes.ApproximateReceiveCount);
      return { batchItemFailures: counts.length < 3 ? [{ itemIdentifier: record.messageId }] : [] };
    });
    // Act
    delivery.notify(s3Event('incoming/a'));
    await delivery.idle();
    // Assess
    expect(counts).toEqual(['1', '2', '3']);
  });

  it('gives up after maxReceives and says the upload is dead-lettered', async () => {
    // Prepare
    const lines: string[] = [];
    let calls = 0;
    const delivery = createCameraUploadDelivery({ bucket: BUCKET, log: (line) => lines.push(line), retryDelayMs: 1, maxReceives: 3 });
    delivery.attach(async () => {
      calls += 1;
      throw new Error('detector down');
    });
    // Act
    delivery.notify(s3Event('incoming/b'));
    await delivery.idle();
    // Assess
    expect(calls).toBe(3);
    expect(lines.at(-1)).toMatch(/incoming\/b failed 3 times; dead-lettered/);
  });

  it('waits for the processor to be attached, and drops events when there is none', async () => {
    const received: string[] = [];
    const delivery = createCameraUploadDelivery({ bucket: BUCKET, log: () => {} });
    delivery.notify(s3Event('incoming/early'));
    delivery.attach(async (event) => {
      received.push(JSON.parse(event.Records[0]!.body).Records[0].s3.object.key);
      return { batchItemFailures: [] };
    });
    await delivery.idle();
    expect(received).toEqual(['incoming/early']);

    const none = createCameraUploadDelivery({ bucket: BUCKET, log: () => {} });
    none.attach(undefined);
    none.notify(s3Event('incoming/ignored'));
    await expect(none.idle()).resolves.toBeUndefined();
  });
});
