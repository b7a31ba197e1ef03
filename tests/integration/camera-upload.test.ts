import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/aws-clients';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { syntheticWafer } from '../fixtures/wafer-images';

interface UploadGrant {
  inspectionId: string;
  statusUrl: string;
  upload: { url: string; fields: Record<string, string>; method: 'POST'; expiresAt: string; maxBytes: number };
}

/** The camera's side: a browser-style S3 POST of the granted fields, the content type, then the file (last, as S3 requires). */
async function postToS3(grant: UploadGrant, bytes: Uint8Array, contentType: string): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.upload.fields)) form.append(name, value);
  form.append('Content-Type', contentType);
  form.append('file', new Blob([bytes], { type: contentType }), 'wafer');
  return fetch(grant.upload.url, { method: 'POST', body: form });
}

describe('camera path over the local stack: POST /uploads -> S3 POST to s3rver -> ObjectCreated -> processCameraUpload', () => {
  let stack: LocalStack;
  let dataDir: string;
  let s3: S3Client;

  const grant = async (station?: string): Promise<UploadGrant> => {
    const response = await fetch(`${stack.url}/uploads${station ? `?station=${station}` : ''}`, { method: 'POST' });
    expect(response.status).toBe(201);
    return (await response.json()) as UploadGrant;
  };
  const bodyText = async (key: string) => await (await s3.send(new GetObjectCommand({ Bucket: stack.env.IMAGE_BUCKET, Key: key }))).Body!.transformToString();
  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: stack.env.IMAGE_BUCKET, Key: key })).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-camera-'));
    // Sign-in off: these uploads name stations freely (a camera key is bound to one; local-stack-access.test.ts has those).
    stack = await startLocalStack({ port: 0, dataDir, env: { POWERTOOLS_LOG_LEVEL: 'SILENT', WAFERWATCH_AUTH: 'off' } });
    s3 = createS3Client({ region: 'us-east-1', endpoint: stack.env.S3_ENDPOINT });
  });
  afterAll(async () => {
    s3?.destroy();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('inspects an uploaded wafer under the granted id; the record is served by GET /inspections/{id}', async () => {
    // Prepare
    const jpeg = await syntheticWafer('jpeg', 256, 256);
    const upload = await grant('litho-3');
    // Act
    const stored = await postToS3(upload, jpeg, 'image/jpeg');
    await stack.cameraUploadsSettled();
    const response = await fetch(`${stack.url}${upload.statusUrl}`);
    // Assess
    expect(stored.status).toBe(204);
    expect(response.status).toBe(200);
    const record = (await response.json()) as { status: string };
    expect(record).toMatchObject({
      inspectionId: upload.inspectionId,
      source: 'camera',
      stationId: 'litho-3',
      image: { sizeBytes: jpeg.length, width: 256, height: 256 },
    });
    expect(['normal', 'needs-review', 'anomalous']).toContain(record.status);
    expect(await exists(`incoming/${upload.inspectionId}`)).toBe(false);
  });

  it('takes an image larger than the API accepts (4 MiB), up to the camera limit', async () => {
    // Prepare: 1800x1800 noise does not compress, so the PNG is about 9.7 MB.
    const side = 1800;
    const noise = Buffer.alloc(side * side * 3);
    let state = 0x9e3779b9;
    for (let index = 0; index < noise.length; index += 1) {
      // xorshift32: deterministic, incompressible.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      noise[index] = state & 0xff;
    }
    const png = await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const upload = await grant();
    // Act
    await postToS3(upload, png, 'image/png');
    await stack.cameraUploadsSettled();
    const response = await fetch(`${stack.url}${upload.statusUrl}`);
    // Assess
    expect(png.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      inspectionId: upload.inspectionId,
      source: 'camera',
      stationId: 'default',
      image: { sizeBytes: png.length, width: side, height: side },
    });
  });

  it('parks an invalid upload under rejected/ with its reason, keeps no record, and empties incoming/', async () => {
    // Prepare
    const upload = await grant('etch-2');
    // Act
    await postToS3(upload, new TextEncoder().encode('<html>not a wafer</html>'), 'image/jpeg');
    await stack.cameraUploadsSettled();
    // Assess
    const note = JSON.parse(await bodyText(`rejected/${upload.inspectionId}.json`));
    expect(note).toMatchObject({ inspectionId: upload.inspectionId, code: 'UNSUPPORTED_IMAGE_TYPE', key: `incoming/${upload.inspectionId}` });
    expect(await bodyText(`rejected/${upload.inspectionId}`)).toBe('<html>not a wafer</html>');
    const parked = await s3.send(new HeadObjectCommand({ Bucket: stack.env.IMAGE_BUCKET, Key: `rejected/${upload.inspectionId}` }));
    expect(parked.Metadata).toMatchObject({ 'rejection-code': 'UNSUPPORTED_IMAGE_TYPE', 'inspection-id': upload.inspectionId });
    expect(await exists(`incoming/${upload.inspectionId}`)).toBe(false);
    const polled = await fetch(`${stack.url}${upload.statusUrl}`);
    expect(polled.status).toBe(422);
    expect(((await polled.json()) as { error: unknown }).error).toMatchObject({
      code: 'UPLOAD_REJECTED',
      inspectionId: upload.inspectionId,
      rejection: { code: 'UNSUPPORTED_IMAGE_TYPE', rejectedAt: expect.any(String) },
    });
  });

  it('parks an object put under incoming/ with a key the server never handed out', async () => {
    // Act
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.env.IMAGE_BUCKET,
        Key: 'incoming/my-own-name.jpg',
        Body: await syntheticWafer('jpeg', 128, 128),
        ContentType: 'image/jpeg',
      }),
    );
    await stack.cameraUploadsSettled();
    // Assess
    expect(JSON.parse(await bodyText('rejected/my-own-name.jpg.json'))).toMatchObject({ code: 'UNEXPECTED_KEY', key: 'incoming/my-own-name.jpg' });
    expect(await exists('incoming/my-own-name.jpg')).toBe(false);
  });
});
