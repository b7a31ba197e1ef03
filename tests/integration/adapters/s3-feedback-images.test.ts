import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { S3FeedbackImages } from '../../../functions/adapters/s3/s3-feedback-images';
import { feedbackKey, inspectionKeys, newInspectionId } from '../../../functions/core/inspection-keys';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';

const BUCKET = 'waferwatch-feedback-test';

describe('S3FeedbackImages against s3rver', () => {
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

  it("copies the stored image into the station's feedback folder byte for byte, keeps one copy when asked twice, and forgets it", async () => {
    // Prepare
    const feedback = new S3FeedbackImages({ client, bucket: BUCKET });
    const inspectionId = newInspectionId();
    const imageKey = inspectionKeys(inspectionId, 'jpeg').image;
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: imageKey, Body: bytes, ContentType: 'image/jpeg' }));
    const target = feedbackKey('litho-3', 'normal', inspectionId, 'image/jpeg');

    // Act
    await feedback.keep(imageKey, target);
    await feedback.keep(imageKey, target);
    const copy = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: target }));
    const copied = Buffer.from(await copy.Body!.transformToByteArray());
    await feedback.forget(target);
    await feedback.forget(target);

    // Assess
    expect(target).toBe(`feedback/litho-3/normal/${inspectionId}.jpg`);
    expect(copied.equals(bytes)).toBe(true);
    expect(copy.ContentType).toBe('image/jpeg');
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: target }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
