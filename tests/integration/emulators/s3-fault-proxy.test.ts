import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { S3CameraUploadStore } from '../../../functions/adapters/s3/s3-camera-upload-store';
import { incomingKey } from '../../../functions/core/camera-upload';
import { inspectionKeys, newInspectionId } from '../../../functions/core/inspection-keys';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { startS3FaultProxy, type S3FaultProxy } from '../../../local/emulators/s3-fault-proxy';

// The real S3 client from the factory, pointed at the proxy in front of s3rver; a second client talks to s3rver
// directly to check what was (not) stored without going through the proxy or its log.
const BUCKET = 'waferwatch-images';
const THREE_MB = 3 * 1024 * 1024;
let s3: S3Emulator;
let proxy: S3FaultProxy;
let viaProxy: S3Client;
let direct: S3Client;
const writesByKey = new Map<string, number>();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const freshKeys = () => inspectionKeys(newInspectionId(), 'png');

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function storedBytes(key: string): Promise<Uint8Array> {
  const object = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body!.transformToByteArray();
}

async function exists(key: string): Promise<boolean> {
  return direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  s3 = await startS3Emulator({
    buckets: [BUCKET],
    // s3rver reports each PUT/POST it stored: the count of real writes, independent of the proxy's own log.
    onEvent: (event: S3Event) => {
      for (const record of event.Records) {
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        writesByKey.set(key, (writesByKey.get(key) ?? 0) + 1);
      }
    },
  });
  proxy = await startS3FaultProxy({ target: s3.endpoint });
  viaProxy = createS3Client({ region: 'us-east-1', endpoint: proxy.endpoint });
  direct = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
});

afterAll(async () => {
  viaProxy?.destroy();
  direct?.destroy();
  await proxy?.close();
  await s3?.close();
});

beforeEach(() => {
  proxy.clearFaults();
  proxy.resetRequests();
});

describe('S3 fault proxy: injected failures the real SDK client sees on the wire', () => {
  it('a PUT of the matching key failing once is retried by the SDK and stored exactly once, bytes intact', async () => {
    // Prepare
    const { record } = freshKeys();
    const body = randomBytes(THREE_MB);
    proxy.failNext(1, { method: 'PUT', key: record });
    // Act
    const put = await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: record, Body: body, ContentType: 'application/json' }));
    // Assess
    expect(put.$metadata.attempts).toBe(2);
    expect(proxy.pendingFaults()).toBe(0);
    expect(proxy.requests()).toEqual([
      { method: 'PUT', bucket: BUCKET, key: record, query: expect.any(String), status: 503, faulted: true, fault: 'SlowDown' },
      { method: 'PUT', bucket: BUCKET, key: record, query: expect.any(String), status: 200, faulted: false },
    ]);
    expect(writesByKey.get(record)).toBe(1);
    expect(sha256(await storedBytes(record))).toBe(sha256(body));
  });

  it('failing as often as the SDK tries (3) makes the call throw SlowDown (503), and nothing is stored', async () => {
    // Prepare
    const { record } = freshKeys();
    proxy.failNext(3, { method: 'PUT', key: /^inspections\/.*\.json$/ });
    // Act
    const error = await caught(viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: record, Body: randomBytes(THREE_MB) })));
    // Assess
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('SlowDown');
    expect((error as S3ServiceException).$metadata).toMatchObject({ httpStatusCode: 503, attempts: 3 });
    expect(proxy.requests().map(({ status, faulted }) => [status, faulted])).toEqual([
      [503, true],
      [503, true],
      [503, true],
    ]);
    expect(writesByKey.get(record)).toBeUndefined();
    expect(await exists(record)).toBe(false);
  });

  it('answers the given S3 error: 500 InternalError reaches the caller under that name, with the XML message', async () => {
    // Prepare
    const { image } = freshKeys();
    proxy.failNext(3, { key: image }, { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' });
    // Act
    const error = await caught(viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: image, Body: randomBytes(1024) })));
    // Assess
    expect((error as S3ServiceException).name).toBe('InternalError');
    expect((error as S3ServiceException).message).toBe('We encountered an internal error. Please try again.');
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(500);
    expect(await exists(image)).toBe(false);
  });

  it('leaves other keys and methods alone: the fault waits for the request it names', async () => {
    // Prepare
    const { image, record } = freshKeys();
    proxy.failNext(1, { method: 'PUT', key: /\.json$/ });
    proxy.failNext(1, { method: 'GET', key: image });
    // Act
    const imagePut = await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: image, Body: randomBytes(2048) }));
    const pendingAfterImage = proxy.pendingFaults();
    const recordPut = await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: record, Body: '{}' }));
    // Assess
    expect(imagePut.$metadata.attempts).toBe(1);
    expect(pendingAfterImage).toBe(2);
    expect(recordPut.$metadata.attempts).toBe(2);
    expect(proxy.pendingFaults()).toBe(1);
    expect(writesByKey.get(image)).toBe(1);
    expect(writesByKey.get(record)).toBe(1);
  });

  it('a reset fault drops the connection: the SDK retries it, and three of them surface as a network error', async () => {
    // Prepare
    const once = freshKeys().record;
    const always = freshKeys().record;
    proxy.failNext(1, { key: once }, { kind: 'reset' });
    // Act
    const retried = await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: once, Body: randomBytes(THREE_MB) }));
    proxy.failNext(3, { key: always }, { kind: 'reset' });
    const error = await caught(viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: always, Body: randomBytes(THREE_MB) })));
    // Assess
    expect(retried.$metadata.attempts).toBe(2);
    expect(writesByKey.get(once)).toBe(1);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(S3ServiceException);
    expect(`${(error as NodeJS.ErrnoException).code} ${(error as Error).message}`).toMatch(/ECONNRESET|socket hang up/);
    expect(proxy.requests().filter(({ key }) => key === always)).toEqual(
      Array.from({ length: 3 }, () => ({ method: 'PUT', bucket: BUCKET, key: always, query: expect.any(String), status: 0, faulted: true, fault: 'reset' })),
    );
    expect(await exists(always)).toBe(false);
  });

  it("a hang fault reads the body and never answers: the client's request timeout fires on each attempt", async () => {
    // Prepare
    const { record } = freshKeys();
    const impatient = createS3Client({ region: 'us-east-1', endpoint: proxy.endpoint, requestTimeoutMs: 300 });
    proxy.failNext(3, { key: record }, { kind: 'hang' });
    // Act
    const error = await caught(impatient.send(new PutObjectCommand({ Bucket: BUCKET, Key: record, Body: '{}' })));
    impatient.destroy();
    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(proxy.requests().map(({ status, fault }) => [status, fault])).toEqual([
      [0, 'hang'],
      [0, 'hang'],
      [0, 'hang'],
    ]);
    expect(await exists(record)).toBe(false);
  });

  it('keeps the connection alive after an error fault: the next request goes over the same socket', async () => {
    // Prepare: one pooled socket, so reuse is observable; s3rver accepts anonymous requests
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { record } = freshKeys();
    const put = (body: Buffer) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const url = new URL(`${proxy.endpoint}/${BUCKET}/${record}`);
        const sent = httpRequest(url, { method: 'PUT', agent, headers: { 'content-length': body.byteLength } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: sent.reusedSocket }));
        });
        sent.on('error', reject);
        sent.end(body);
      });
    proxy.failNext(1, { key: record });
    // Act
    const failed = await put(randomBytes(THREE_MB));
    const stored = await put(randomBytes(1024));
    agent.destroy();
    // Assess
    expect(failed).toEqual({ status: 503, reused: false });
    expect(stored).toEqual({ status: 200, reused: true });
  });
});

describe('S3 fault proxy: pass-through', () => {
  it('GET returns the stored bytes exactly (3 MB), HEAD its size', async () => {
    // Prepare
    const { image } = freshKeys();
    const body = randomBytes(THREE_MB);
    await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: image, Body: body }));
    // Act
    const object = await viaProxy.send(new GetObjectCommand({ Bucket: BUCKET, Key: image }));
    const bytes = await object.Body!.transformToByteArray();
    const head = await viaProxy.send(new HeadObjectCommand({ Bucket: BUCKET, Key: image }));
    // Assess
    expect(bytes.byteLength).toBe(THREE_MB);
    expect(sha256(bytes)).toBe(sha256(body));
    expect(head.ContentLength).toBe(THREE_MB);
    expect(proxy.requests().map(({ method, key, status }) => [method, key, status])).toEqual([
      ['GET', image, 200],
      ['HEAD', image, 200],
    ]);
  });

  it('LIST answers what s3rver answers, byte for byte, and is logged as a bucket-level request (key "")', async () => {
    // Prepare
    const prefix = `inspections/list-${newInspectionId()}/`;
    for (const name of ['a.json', 'b c.json', 'ü.json']) await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: name }));
    const path = `/${BUCKET}?list-type=2&prefix=${encodeURIComponent(prefix)}`;
    // Act
    const listed = await viaProxy.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    const [throughProxy, fromS3rver] = await Promise.all([fetch(`${proxy.endpoint}${path}`), fetch(`${s3.endpoint}${path}`)]);
    // Assess
    expect(listed.Contents?.map(({ Key }) => Key)).toEqual([`${prefix}a.json`, `${prefix}b c.json`, `${prefix}ü.json`]);
    expect(throughProxy.status).toBe(fromS3rver.status);
    expect(Buffer.from(await throughProxy.arrayBuffer()).equals(Buffer.from(await fromS3rver.arrayBuffer()))).toBe(true);
    expect(proxy.requests()[0]).toMatchObject({ method: 'GET', bucket: BUCKET, key: '', status: 200, faulted: false });
  });

  it('streams an upload of unknown-to-the-proxy length (a Readable body) through intact', async () => {
    // Prepare
    const { image } = freshKeys();
    const body = randomBytes(THREE_MB);
    const chunks = Array.from({ length: 48 }, (_, index) => body.subarray(index * 65_536, (index + 1) * 65_536));
    // Act
    await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: image, Body: Readable.from(chunks), ContentLength: THREE_MB }));
    // Assess
    expect(sha256(await storedBytes(image))).toBe(sha256(body));
  });

  it('decodes keys: a fault on "a key/with spaces+ü.json" matches the percent-encoded path the SDK sends', async () => {
    // Prepare
    const key = `inspections/odd/${newInspectionId()} with spaces+ü.json`;
    proxy.failNext(1, { key });
    // Act
    const put = await viaProxy.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    // Assess
    expect(put.$metadata.attempts).toBe(2);
    expect(proxy.requests().map((request) => request.key)).toEqual([key, key]);
    expect(Buffer.from(await storedBytes(key)).toString()).toBe('x');
  });
});

describe('S3 fault proxy: s3rver gone', () => {
  it('answers 502 BadGateway in S3 XML when nothing listens at the target, and keeps serving', async () => {
    // Prepare: a port that was free a moment ago
    const closed = await startS3FaultProxy({ target: s3.endpoint });
    const deadTarget = closed.endpoint;
    await closed.close();
    const orphan = await startS3FaultProxy({ target: deadTarget });
    // Act
    const first = await fetch(`${orphan.endpoint}/${BUCKET}/a.json`);
    const second = await fetch(`${orphan.endpoint}/${BUCKET}/b.json`, { method: 'PUT', body: 'x' });
    const firstBody = await first.text();
    await second.text();
    await orphan.close();
    // Assess
    expect(first.status).toBe(502);
    expect(firstBody).toContain('<Code>BadGateway</Code>');
    expect(second.status).toBe(502);
    expect(orphan.requests().map(({ method, key, status, faulted }) => [method, key, status, faulted])).toEqual([
      ['GET', 'a.json', 502, false],
      ['PUT', 'b.json', 502, false],
    ]);
  });
});

describe('S3 fault proxy: presigned POST (camera form uploads)', () => {
  async function postForm(key: string, bytes: Uint8Array): Promise<Response> {
    const store = new S3CameraUploadStore({ client: viaProxy, bucket: BUCKET, endpoint: proxy.endpoint });
    const upload = await store.presignUpload({ key, maxBytes: 8 * 1024 * 1024, expiresInSeconds: 300 });
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('Content-Type', 'image/png');
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'wafer.png');
    return fetch(upload.url, { method: 'POST', body: form });
  }

  it('matches a form upload by its key field: the faulted POST gets the S3 XML error and stores nothing; the next one is stored', async () => {
    // Prepare
    const key = incomingKey(newInspectionId());
    const bytes = randomBytes(THREE_MB);
    proxy.failNext(1, { method: 'POST', key: /^incoming\// });
    // Act
    const failed = await postForm(key, bytes);
    const failedBody = await failed.text();
    const storedAfterFailure = await exists(key);
    const retried = await postForm(key, bytes);
    // Assess
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toBe('application/xml');
    expect(failedBody).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>SlowDown<\/Code><Message>[^<]+<\/Message>.*<RequestId>[0-9A-F]+<\/RequestId>/,
    );
    expect(storedAfterFailure).toBe(false);
    expect(retried.status).toBe(204);
    expect(sha256(await storedBytes(key))).toBe(sha256(bytes));
    expect(writesByKey.get(key)).toBe(1);
    expect(proxy.requests().map(({ method, bucket, key: logged, status, faulted }) => ({ method, bucket, key: logged, status, faulted }))).toEqual([
      { method: 'POST', bucket: BUCKET, key, status: 503, faulted: true },
      { method: 'POST', bucket: BUCKET, key, status: 204, faulted: false },
    ]);
  });
});
