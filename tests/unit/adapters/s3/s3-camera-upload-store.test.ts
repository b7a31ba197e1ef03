import 'aws-sdk-client-mock-vitest/extend';
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3CameraUploadStore, signPolicy } from '../../../../functions/adapters/s3/s3-camera-upload-store';

const BUCKET = 'waferwatch-images';
const NOW = new Date('2026-11-26T10:00:00.000Z');
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };

function decodePolicy(fields: Record<string, string>): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8'));
}

describe('S3CameraUploadStore', () => {
  describe('presignUpload', () => {
    const client = new S3Client({ region: 'eu-west-1', credentials: CREDENTIALS });
    const store = new S3CameraUploadStore({ client, bucket: BUCKET, now: () => NOW });

    it('binds the exact key, the size range, image content types, the station and the expiry into the signed policy', async () => {
      // Act
      const upload = await store.presignUpload({
        key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        maxBytes: 20_971_520,
        expiresInSeconds: 300,
        stationId: 'litho-3',
      });
      // Assess
      expect(upload.url).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com`);
      expect(upload.method).toBe('POST');
      expect(upload.maxBytes).toBe(20_971_520);
      expect(upload.expiresAt).toBe('2026-11-26T10:05:00.000Z');
      expect(upload.fields).toMatchObject({
        key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        'x-amz-meta-station-id': 'litho-3',
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': 'AKIDEXAMPLE/20261126/eu-west-1/s3/aws4_request',
        'X-Amz-Date': '20261126T100000Z',
        'X-Amz-Security-Token': 'session-token',
      });
      const policy = decodePolicy(upload.fields);
      expect(policy.expiration).toBe('2026-11-26T10:05:00Z');
      expect(policy.conditions).toEqual(
        expect.arrayContaining([
          ['content-length-range', 1, 20_971_520],
          ['starts-with', '$Content-Type', 'image/'],
          { key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5' },
          { bucket: BUCKET },
          { 'x-amz-meta-station-id': 'litho-3' },
          { 'X-Amz-Security-Token': 'session-token' },
        ]),
      );
      // Only exact-match key conditions: no starts-with on $key, so the camera cannot pick another name.
      expect(JSON.stringify(policy.conditions)).not.toContain('$key');
      expect(upload.fields['X-Amz-Signature']).toBe(signPolicy(upload.fields.Policy!, CREDENTIALS.secretAccessKey, '20261126', 'eu-west-1'));
    });

    it('leaves the station out of the policy when the upload names none', async () => {
      const upload = await store.presignUpload({ key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5', maxBytes: 10, expiresInSeconds: 60 });
      expect(upload.fields).not.toHaveProperty('x-amz-meta-station-id');
      expect(JSON.stringify(decodePolicy(upload.fields).conditions)).not.toContain('station');
    });

    it('points at <endpoint>/<bucket> when the endpoint is overridden (s3rver)', async () => {
      const local = new S3CameraUploadStore({ client, bucket: BUCKET, endpoint: 'http://127.0.0.1:4569/', now: () => NOW });
      const upload = await local.presignUpload({ key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5', maxBytes: 10, expiresInSeconds: 60 });
      expect(upload.url).toBe(`http://127.0.0.1:4569/${BUCKET}`);
    });

    describe('against the AWS SDK own signer', () => {
      beforeEach(() => {
        vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
      });
      afterEach(() => {
        vi.useRealTimers();
      });

      it('signs a policy exactly as @aws-sdk/s3-presigned-post does', async () => {
        // Prepare
        const reference = await createPresignedPost(client, {
          Bucket: BUCKET,
          Key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
          Conditions: [['content-length-range', 1, 1024]],
          Expires: 300,
        });
        // Act
        const signature = signPolicy(reference.fields.Policy!, CREDENTIALS.secretAccessKey, '20261126', 'eu-west-1');
        // Assess
        expect(signature).toBe(reference.fields['X-Amz-Signature']);
        expect(new URL(reference.url).host).toBe(`${BUCKET}.s3.eu-west-1.amazonaws.com`);
      });
    });
  });

  describe('objects', () => {
    const s3 = mockClient(S3Client);
    const store = new S3CameraUploadStore({ client: s3 as unknown as S3Client, bucket: BUCKET });
    beforeEach(() => s3.reset());

    it('reads size and station from HeadObject, and undefined once the object is gone', async () => {
      // Prepare
      s3.on(HeadObjectCommand, { Key: 'incoming/A' }).resolves({ ContentLength: 1234, Metadata: { 'station-id': 'etch-2' } });
      s3.on(HeadObjectCommand, { Key: 'incoming/B' }).rejects(
        new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } }),
      );
      // Act / Assess
      await expect(store.headIncoming('incoming/A')).resolves.toEqual({ sizeBytes: 1234, stationId: 'etch-2' });
      await expect(store.headIncoming('incoming/B')).resolves.toBeUndefined();
    });

    it('does not hide a denied or failing HeadObject as "gone"', async () => {
      s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
      await expect(store.headIncoming('incoming/A')).rejects.toMatchObject({ name: 'Forbidden' });
    });

    it('copies a refused object to rejected/ with the reason as metadata and writes the reason as JSON beside it', async () => {
      // Prepare
      s3.on(CopyObjectCommand).resolves({});
      s3.on(PutObjectCommand).resolves({});
      // Act
      await store.reject('incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5', {
        inspectionId: '01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        code: 'CORRUPT_IMAGE',
        message: 'The JPEG is truncated – ends early.',
        rejectedAt: '2026-11-26T10:00:00.000Z',
      });
      // Assess
      expect(s3).toReceiveCommandWith(CopyObjectCommand, {
        Bucket: BUCKET,
        Key: 'rejected/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        CopySource: `${BUCKET}/incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/octet-stream',
        Metadata: {
          'rejection-code': 'CORRUPT_IMAGE',
          'rejection-message': 'The JPEG is truncated ? ends early.',
          'rejected-at': '2026-11-26T10:00:00.000Z',
          'inspection-id': '01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        },
      });
      const note = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
      expect(note.Key).toBe('rejected/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5.json');
      expect(JSON.parse(note.Body as string)).toEqual({
        inspectionId: '01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
        code: 'CORRUPT_IMAGE',
        message: 'The JPEG is truncated – ends early.',
        rejectedAt: '2026-11-26T10:00:00.000Z',
        key: 'incoming/01JDQ8Y8Z7W1XKQ9V6M3T2R4S5',
      });
    });

    it('deletes the incoming object', async () => {
      s3.on(DeleteObjectCommand).resolves({});
      await store.deleteIncoming('incoming/A');
      expect(s3).toReceiveCommandWith(DeleteObjectCommand, { Bucket: BUCKET, Key: 'incoming/A' });
    });
  });
});
