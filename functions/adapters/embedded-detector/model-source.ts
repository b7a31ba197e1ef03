import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The embedded model's bytes from a file (relative to the working directory: /var/task in Lambda, where the zip is
 * unpacked) or an s3://bucket/key URI (EMBEDDED_MODEL_URI).
 */
export async function readModelBytes(uri: string, s3: S3Client): Promise<Uint8Array> {
  const s3Uri = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3Uri) {
    const object = await s3.send(new GetObjectCommand({ Bucket: s3Uri[1], Key: s3Uri[2] }));
    if (!object.Body) throw new Error(`The embedded model ${uri} is empty`);
    return object.Body.transformToByteArray();
  }
  return readFile(isAbsolute(uri) ? uri : resolve(process.cwd(), uri));
}
