import { createHmac } from 'node:crypto';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CameraRejection, CameraUploadStore, IncomingObjectHead, PresignedUpload, UploadGrant } from '../../core/ports/camera-upload-store';
import { incomingKey, rejectedKey } from '../../core/camera-upload';
import { isInspectionId } from '../../core/inspection-keys';

export interface S3CameraUploadStoreOptions {
  client: S3Client;
  bucket: string;
  /** Local and test override (s3rver): uploads go to `<endpoint>/<bucket>` (path style). Unset in AWS. */
  endpoint?: string;
  now?: () => Date;
}

/** The content types a camera may declare; the bytes still decide what the image is. */
export const UPLOAD_CONTENT_TYPE_PREFIX = 'image/';

/**
 * CameraUploadStore over the image bucket: presigned POST uploads to `incoming/`, refused objects copied to
 * `rejected/` with the reason.
 *
 * The POST policy is signed here (SigV4, as @aws-sdk/s3-presigned-post does; tests/unit/adapters compares the two)
 * rather than with that package: it pins its own exact @aws-sdk/client-s3, which would put a second copy of the S3
 * client into the function's bundle.
 */
export class S3CameraUploadStore implements CameraUploadStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly endpoint: string | undefined;
  private readonly now: () => Date;

  constructor(options: S3CameraUploadStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.endpoint = options.endpoint?.replace(/\/+$/, '');
    this.now = options.now ?? (() => new Date());
  }

  /** Sign a POST policy that accepts exactly `grant.key`, 1..maxBytes bytes, an image/* content type and the station. */
  async presignUpload(grant: UploadGrant): Promise<PresignedUpload> {
    const credentials = await this.client.config.credentials();
    const region = await this.client.config.region();
    const now = this.now();
    const amzDate = now
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    const shortDate = amzDate.slice(0, 8);
    const credential = `${credentials.accessKeyId}/${shortDate}/${region}/s3/aws4_request`;
    const expiresAt = new Date(now.getTime() + grant.expiresInSeconds * 1000);
    const signedFields: Record<string, string> = {
      bucket: this.bucket,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': credential,
      'X-Amz-Date': amzDate,
      ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
      ...(grant.stationId !== undefined ? { 'x-amz-meta-station-id': grant.stationId } : {}),
    };
    const conditions: unknown[] = [
      ['content-length-range', 1, grant.maxBytes],
      ['starts-with', '$Content-Type', UPLOAD_CONTENT_TYPE_PREFIX],
      ...Object.entries(signedFields).map(([name, value]) => ({ [name]: value })),
      { key: grant.key },
    ];
    const policy = Buffer.from(JSON.stringify({ expiration: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), conditions }), 'utf8').toString('base64');
    const signature = signPolicy(policy, credentials.secretAccessKey, shortDate, region);
    return {
      url: this.endpoint ? `${this.endpoint}/${this.bucket}` : `https://${this.bucket}.s3.${region}.amazonaws.com`,
      fields: { ...signedFields, key: grant.key, Policy: policy, 'X-Amz-Signature': signature },
      method: 'POST',
      expiresAt: expiresAt.toISOString(),
      maxBytes: grant.maxBytes,
    };
  }

  /** HeadObject: the size S3 stored (checked before any read) and the station metadata. */
  async headIncoming(key: string): Promise<IncomingObjectHead | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const stationId = head.Metadata?.['station-id'];
      return { sizeBytes: head.ContentLength ?? 0, ...(stationId !== undefined ? { stationId } : {}) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** GetObject of the whole (already size-checked) object. */
  async readIncoming(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Copy to `rejected/` with the reason as metadata, then write the reason as JSON beside it. */
  async reject(key: string, rejection: CameraRejection): Promise<void> {
    const target = rejectedKey(key);
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: target,
        CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        // Whatever the camera declared, a refused object is never served as an image.
        ContentType: 'application/octet-stream',
        Metadata: {
          'rejection-code': headerSafe(rejection.code),
          'rejection-message': headerSafe(rejection.message),
          'rejected-at': rejection.rejectedAt,
          ...(rejection.inspectionId ? { 'inspection-id': rejection.inspectionId } : {}),
        },
      }),
    );
    const note = JSON.stringify({
      ...(rejection.inspectionId ? { inspectionId: rejection.inspectionId } : {}),
      code: rejection.code,
      message: rejection.message,
      rejectedAt: rejection.rejectedAt,
      key,
    });
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${target}.json`, Body: note, ContentType: 'application/json; charset=utf-8' }));
  }

  /** The JSON note beside a refused upload, read by inspection id only (never a key from a client). */
  async readRejection(inspectionId: string): Promise<CameraRejection | undefined> {
    if (!isInspectionId(inspectionId)) return undefined;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${rejectedKey(incomingKey(inspectionId))}.json` }));
      const note = JSON.parse(await object.Body!.transformToString()) as CameraRejection;
      return { code: note.code, message: note.message, rejectedAt: note.rejectedAt, inspectionId };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** DeleteObject; S3 answers a missing key with success, so a repeated delete is harmless. */
  async deleteIncoming(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** The SigV4 signature of a base64 POST policy: HMAC chain date → region → s3 → aws4_request, then the policy. */
export function signPolicy(policyBase64: string, secretAccessKey: string, shortDate: string, region: string): string {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), 's3'), 'aws4_request');
  return createHmac('sha256', signingKey).update(policyBase64, 'utf8').digest('hex');
}

function isMissing(error: unknown): boolean {
  const named = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return named?.name === 'NotFound' || named?.name === 'NoSuchKey' || named?.$metadata?.httpStatusCode === 404;
}

/** S3 metadata travels as HTTP headers: printable ASCII only, bounded. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}
