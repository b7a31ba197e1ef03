import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { S3CameraUploadStore } from '../../../functions/adapters/s3/s3-camera-upload-store';
import { incomingKey } from '../../../functions/core/camera-upload';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { checkPostPolicy, parsePostForm, signPostPolicyV4 } from '../../../local/emulators/s3-post-policy';

// A browser-style POST upload (a presigned POST form) is stored only when S3 would store it: the policy's conditions
// hold (content-length-range, the key, Content-Type...), every field is covered by a condition, the SigV4 signature
// over the base64 policy matches the credential's secret, and the policy has not expired. Refusals are S3's XML
// errors: AccessDenied 403 ("Invalid according to Policy: ..."), EntityTooSmall / EntityTooLarge 400,
// SignatureDoesNotMatch 403, InvalidArgument 400 for a missing signing field.
const BUCKET = 'waferwatch-policy-images';
const OTHER_BUCKET = 'waferwatch-policy-other';
const KB = 1024;
let s3: S3Emulator;
let client: S3Client;
let store: S3CameraUploadStore;

interface S3Answer {
  status: number;
  code?: string;
  message?: string;
  body: string;
}

/** POST the fields (in order), then the file last, as a camera does; S3's answer with its error code and message. */
async function post(url: string, fields: Array<[string, string]>, file: Uint8Array | undefined, contentType = 'image/jpeg'): Promise<S3Answer> {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  if (file) form.append('file', new Blob([file], { type: contentType }), 'wafer.jpg');
  const response = await fetch(url, { method: 'POST', body: form });
  const body = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1], message: unescapeXml(/<Message>([^<]*)<\/Message>/.exec(body)?.[1]), body };
}

function unescapeXml(text: string | undefined): string | undefined {
  const entities: Record<string, string> = { quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' };
  return text?.replace(/&(quot|apos|lt|gt|amp);/g, (_, name: string) => entities[name]!);
}

/** The product's grant (S3CameraUploadStore.presignUpload) as form fields, plus the camera's Content-Type. */
async function granted(options: { maxBytes?: number; expiresInSeconds?: number; now?: Date; contentType?: string; key?: string } = {}) {
  const key = options.key ?? incomingKey(newInspectionId());
  const signer = options.now ? new S3CameraUploadStore({ client, bucket: BUCKET, endpoint: s3.endpoint, now: () => options.now! }) : store;
  const upload = await signer.presignUpload({
    key,
    maxBytes: options.maxBytes ?? 64 * KB,
    expiresInSeconds: options.expiresInSeconds ?? 300,
    stationId: 'litho-3',
  });
  const fields: Array<[string, string]> = [...Object.entries(upload.fields), ['Content-Type', options.contentType ?? 'image/jpeg']];
  return { key, url: upload.url, fields, upload };
}

const stored = (key: string) =>
  client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
const replace = (fields: Array<[string, string]>, name: string, value: string) =>
  fields.map(([field, old]): [string, string] => [field, field === name ? value : old]);

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET, OTHER_BUCKET] });
  client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
  store = new S3CameraUploadStore({ client, bucket: BUCKET, endpoint: s3.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

describe('s3rver behind the POST policy check: what S3 stores', () => {
  it("stores an upload built from the product's grant, with its station metadata", async () => {
    // Prepare
    const grant = await granted();
    const bytes = randomBytes(10 * KB);

    // Act
    const answer = await post(grant.url, grant.fields, bytes);
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: grant.key }));

    // Assess
    expect(answer.status).toBe(204);
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(object.Metadata?.['station-id']).toBe('litho-3');
    expect(object.ContentType).toBe('image/jpeg');
  });

  it('stores an upload built by @aws-sdk/s3-presigned-post (its own policy and SigV4 signature)', async () => {
    // Prepare
    const key = incomingKey(newInspectionId());
    const presigned = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [
        ['content-length-range', 1, 4 * KB],
        ['starts-with', '$Content-Type', 'image/'],
      ],
      Expires: 120,
    });

    // Act
    const answer = await post(presigned.url, [...Object.entries(presigned.fields), ['Content-Type', 'image/png']], randomBytes(KB), 'image/png');
    const tooLarge = await post(presigned.url, [...Object.entries(presigned.fields), ['Content-Type', 'image/png']], randomBytes(4 * KB + 1), 'image/png');

    // Assess
    expect(presigned.url).toBe(`${s3.endpoint}/${BUCKET}`);
    expect(answer.status).toBe(204);
    expect(await stored(key)).toBe(true);
    expect([tooLarge.status, tooLarge.code]).toEqual([400, 'EntityTooLarge']);
  });

  it('ignores fields after the file and fields named x-ignore-*, as S3 does', async () => {
    // Prepare
    const grant = await granted();
    const form = new FormData();
    for (const [name, value] of grant.fields) form.append(name, value);
    form.append('x-ignore-camera', 'cam-7');
    form.append('file', new Blob([randomBytes(KB)], { type: 'image/jpeg' }), 'wafer.jpg');
    form.append('x-amz-meta-after-the-file', 'ignored');

    // Act
    const response = await fetch(grant.url, { method: 'POST', body: form });

    // Assess
    expect(response.status).toBe(204);
    expect(await stored(grant.key)).toBe(true);
  });
});

describe('s3rver behind the POST policy check: what S3 refuses (and nothing is stored)', () => {
  it('refuses a file outside content-length-range: EntityTooLarge / EntityTooSmall (400) with the sizes', async () => {
    // Prepare
    const large = await granted({ maxBytes: 8 * KB });
    const small = await granted({ maxBytes: 8 * KB });

    // Act
    const tooLarge = await post(large.url, large.fields, randomBytes(8 * KB + 1));
    const tooSmall = await post(small.url, small.fields, new Uint8Array());
    const atLimit = await post(large.url, large.fields, randomBytes(8 * KB));

    // Assess
    expect([tooLarge.status, tooLarge.code, tooLarge.message]).toEqual([400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size']);
    expect(tooLarge.body).toContain(`<ProposedSize>${8 * KB + 1}</ProposedSize>`);
    expect(tooLarge.body).toContain(`<MaxSizeAllowed>${8 * KB}</MaxSizeAllowed>`);
    expect([tooSmall.status, tooSmall.code]).toEqual([400, 'EntityTooSmall']);
    expect(tooSmall.body).toContain('<MinSizeAllowed>1</MinSizeAllowed>');
    expect(await stored(small.key)).toBe(false);
    expect(atLimit.status).toBe(204);
  });

  it('refuses another key, a Content-Type that is not image/*, another station and a field the policy does not name: AccessDenied (403)', async () => {
    // Prepare
    const grant = await granted();
    const otherKey = incomingKey(newInspectionId());

    // Act
    const keyChanged = await post(grant.url, replace(grant.fields, 'key', otherKey), randomBytes(KB));
    const notAnImage = await post(grant.url, replace(grant.fields, 'Content-Type', 'text/html'), randomBytes(KB));
    const oneImageOneNot = await post(grant.url, replace(grant.fields, 'Content-Type', 'image/jpeg, text/html'), randomBytes(KB));
    const otherStation = await post(grant.url, replace(grant.fields, 'x-amz-meta-station-id', 'etch-1'), randomBytes(KB));
    const extraField = await post(grant.url, [...grant.fields, ['x-amz-meta-operator', 'me']], randomBytes(KB));
    // The grant names its bucket: the same form sent to another bucket of the account is refused.
    const otherBucket = await post(`${s3.endpoint}/${OTHER_BUCKET}`, grant.fields, randomBytes(KB));

    // Assess
    expect([keyChanged.status, keyChanged.code, keyChanged.message]).toEqual([
      403,
      'AccessDenied',
      `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${grant.key}"]`,
    ]);
    expect([notAnImage.status, notAnImage.message]).toEqual([
      403,
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]',
    ]);
    expect([oneImageOneNot.status, oneImageOneNot.code]).toEqual([403, 'AccessDenied']);
    expect([otherStation.status, otherStation.message]).toEqual([
      403,
      'Invalid according to Policy: Policy Condition failed: ["eq", "$x-amz-meta-station-id", "litho-3"]',
    ]);
    expect([extraField.status, extraField.message]).toEqual([403, 'Invalid according to Policy: Extra input fields: x-amz-meta-operator']);
    expect([otherBucket.status, otherBucket.message]).toEqual([403, `Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "${BUCKET}"]`]);
    expect(await stored(grant.key)).toBe(false);
    expect(await stored(otherKey)).toBe(false);
  });

  it('refuses an altered policy, a signature made with another secret and an unknown key: SignatureDoesNotMatch / InvalidAccessKeyId (403)', async () => {
    // Prepare: a policy widened to 1 GB by the client, keeping the signature of the original.
    const grant = await granted({ maxBytes: 8 * KB });
    const policy = JSON.parse(Buffer.from(grant.upload.fields.Policy!, 'base64').toString('utf8')) as { conditions: unknown[] };
    policy.conditions[0] = ['content-length-range', 1, 1024 * 1024 * 1024];
    const widened = replace(grant.fields, 'Policy', Buffer.from(JSON.stringify(policy)).toString('base64'));
    const otherSecret = new S3CameraUploadStore({
      client: createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' } }),
      bucket: BUCKET,
      endpoint: s3.endpoint,
    });
    const forged = await otherSecret.presignUpload({ key: grant.key, maxBytes: 8 * KB, expiresInSeconds: 300 });
    const unknownKey = replace(grant.fields, 'X-Amz-Credential', grant.upload.fields['X-Amz-Credential']!.replace(/^S3RVER\//, 'AKIAUNKNOWN/'));

    // Act
    const altered = await post(grant.url, widened, randomBytes(16 * KB));
    const wrongSecret = await post(forged.url, [...Object.entries(forged.fields), ['Content-Type', 'image/jpeg']], randomBytes(KB));
    const unknown = await post(grant.url, unknownKey, randomBytes(KB));

    // Assess
    expect([altered.status, altered.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(altered.body).toContain('<AWSAccessKeyId>S3RVER</AWSAccessKeyId>');
    expect([wrongSecret.status, wrongSecret.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect([unknown.status, unknown.code]).toEqual([403, 'InvalidAccessKeyId']);
    expect(await stored(grant.key)).toBe(false);
  });

  it('refuses an expired grant ("Invalid according to Policy: Policy expired."), an unsigned form and a form missing X-Amz-Signature', async () => {
    // Prepare: granted ten minutes ago for five.
    const expired = await granted({ now: new Date(Date.now() - 10 * 60_000), expiresInSeconds: 300 });
    const grant = await granted();
    const key = incomingKey(newInspectionId());

    // Act
    const late = await post(expired.url, expired.fields, randomBytes(KB));
    const anonymous = await post(
      grant.url,
      [
        ['key', key],
        ['Content-Type', 'image/jpeg'],
      ],
      randomBytes(KB),
    );
    const unsigned = await post(
      grant.url,
      grant.fields.filter(([name]) => name !== 'X-Amz-Signature'),
      randomBytes(KB),
    );

    // Assess
    expect([late.status, late.code, late.message]).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy expired.']);
    expect([anonymous.status, anonymous.code, anonymous.message]).toEqual([403, 'AccessDenied', 'Access Denied']);
    expect([unsigned.status, unsigned.code]).toEqual([400, 'InvalidArgument']);
    expect(unsigned.message).toMatch(/^Bucket POST must contain a field named 'X-Amz-Signature'/);
    expect(await stored(expired.key)).toBe(false);
    expect(await stored(key)).toBe(false);
  });

  it('leaves a POST to a bucket that does not exist to s3rver: NoSuchBucket (404)', async () => {
    // Prepare
    const grant = await granted();

    // Act
    const answer = await post(`${s3.endpoint}/no-such-bucket`, grant.fields, randomBytes(KB));

    // Assess
    expect([answer.status, answer.code]).toEqual([404, 'NoSuchBucket']);
  });

  it('stores any form with enforcePostPolicy: false, as s3rver alone does', async () => {
    // Prepare
    const loose = await startS3Emulator({ buckets: [BUCKET], enforcePostPolicy: false });
    const key = incomingKey(newInspectionId());
    try {
      // Act
      const answer = await post(`${loose.endpoint}/${BUCKET}`, [['key', key]], randomBytes(KB));

      // Assess
      expect(answer.status).toBe(204);
    } finally {
      await loose.close();
    }
  });
});

describe('s3rver behind the POST policy check, with boto3 (the other SDK people point at it)', () => {
  it('stores a boto3 generate_presigned_post upload (lower-case field names) within its range, and refuses one beyond it', async () => {
    // Prepare
    const key = incomingKey(newInspectionId());
    const script = [
      'import json, sys, boto3',
      'from botocore.config import Config',
      'endpoint, bucket, key = sys.argv[1:4]',
      "s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='S3RVER', aws_secret_access_key='S3RVER', config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))",
      "post = s3.generate_presigned_post(bucket, key, Fields={'Content-Type': 'image/png'}, Conditions=[{'Content-Type': 'image/png'}, ['content-length-range', 1, 2048]], ExpiresIn=120)",
      'print(json.dumps(post))',
    ].join('\n');
    const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import boto3']).status === 0) ?? 'python3';
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        ['-c', script, s3.endpoint, BUCKET, key],
        { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
        (error, stdout, stderr) => (error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout)),
      ),
    );
    const presigned = JSON.parse(output) as { url: string; fields: Record<string, string> };

    // Act
    const tooLarge = await post(presigned.url, Object.entries(presigned.fields), randomBytes(2049), 'image/png');
    const withinRange = await post(presigned.url, Object.entries(presigned.fields), randomBytes(2048), 'image/png');

    // Assess
    expect(Object.keys(presigned.fields)).toEqual(expect.arrayContaining(['policy', 'x-amz-signature', 'x-amz-credential']));
    expect([tooLarge.status, tooLarge.code]).toEqual([400, 'EntityTooLarge']);
    expect(withinRange.status).toBe(204);
    expect(await stored(key)).toBe(true);
  });
});

describe('checkPostPolicy and parsePostForm', () => {
  const signed = (document: unknown, extra: Array<{ name: string; value: string }> = []) => {
    const policy = Buffer.from(typeof document === 'string' ? document : JSON.stringify(document)).toString('base64');
    return [
      { name: 'key', value: 'incoming/a' },
      { name: 'x-amz-algorithm', value: 'AWS4-HMAC-SHA256' },
      { name: 'x-amz-credential', value: 'S3RVER/20261126/eu-west-1/s3/aws4_request' },
      { name: 'x-amz-date', value: '20261126T120000Z' },
      { name: 'policy', value: policy },
      { name: 'x-amz-signature', value: signPostPolicyV4(policy, 'S3RVER', { date: '20261126', region: 'eu-west-1', service: 's3' }) },
      ...extra,
    ];
  };
  const now = Date.parse('2026-11-26T12:00:00Z');
  const baseConditions = [
    { key: 'incoming/a' },
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    { 'x-amz-credential': 'S3RVER/20261126/eu-west-1/s3/aws4_request' },
    { 'x-amz-date': '20261126T120000Z' },
  ];

  it('accepts a form whose every condition holds, field names in any case', () => {
    // Act
    const verdict = checkPostPolicy(
      {
        fields: signed(
          {
            expiration: '2026-11-26T12:05:00Z',
            conditions: [...baseConditions, ['content-length-range', 1, 10], ['eq', '$Content-Type', 'image/png'], { bucket: 'b' }],
          },
          [{ name: 'CONTENT-TYPE', value: 'image/png' }],
        ),
        file: { sizeBytes: 10 },
      },
      { bucket: 'b', now },
    );

    // Assess
    expect(verdict).toBeUndefined();
  });

  it('answers InvalidPolicyDocument for a policy that is not JSON, or lacks expiration or conditions', () => {
    // Act
    const notJson = checkPostPolicy({ fields: signed('{"expiration": ') }, { bucket: 'b', now });
    const noExpiration = checkPostPolicy({ fields: signed({ conditions: [] }) }, { bucket: 'b', now });
    const noConditions = checkPostPolicy({ fields: signed({ expiration: '2026-11-26T12:05:00Z' }) }, { bucket: 'b', now });

    // Assess
    expect(notJson).toMatchObject({ code: 'InvalidPolicyDocument', status: 400, message: 'Invalid Policy: Invalid JSON.' });
    expect(noExpiration).toMatchObject({ code: 'InvalidPolicyDocument', message: 'Invalid Policy: Policy missing expiration.' });
    expect(noConditions).toMatchObject({ code: 'InvalidPolicyDocument', message: 'Invalid Policy: Policy missing conditions.' });
  });

  it('reads the fields before the file part and its size, and nothing after it', () => {
    // Prepare
    const boundary = '----waferwatch';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nincoming/é\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="w.png"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.from([1, 2, 3, 13, 10, 4]),
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="after"\r\n\r\nx\r\n--${boundary}--\r\n`),
    ]);

    // Act
    const form = parsePostForm(body, `multipart/form-data; boundary=${boundary}`);
    const broken = parsePostForm(body.subarray(0, 60), `multipart/form-data; boundary=${boundary}`);

    // Assess
    expect(form).toEqual({ fields: [{ name: 'key', value: 'incoming/é' }], file: { sizeBytes: 6, filename: 'w.png' } });
    expect(broken).toBeUndefined();
  });
});
