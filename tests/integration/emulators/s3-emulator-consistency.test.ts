import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { S3CameraUploadStore } from '../../../functions/adapters/s3/s3-camera-upload-store';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { IN_MEMORY_BODY_BYTES } from '../../../local/emulators/s3rver-consistency';

// Real S3 PUTs are atomic and read-after-write consistent; the product relies on it (place-call rewrites an inspection
// record while the API lists and reads records). These tests hold the S3 emulator to that, through the real S3 client.
const BUCKET = 'waferwatch-consistency';
const KB = 1024;
let s3: S3Emulator;
let client: S3Client;
const eventReads: Array<Promise<{ key: string; bytes: Buffer | Error }>> = [];

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/**
 * An inspection-record-like JSON document of exactly `size` bytes. Each version pads with its own letter, so a body
 * spliced from two versions, or cut short, equals none of them.
 */
function recordBody(version: number, size: number): Buffer {
  const head = JSON.stringify({ inspectionId: `01JDV${String(version).padStart(21, '0')}`, version, notes: '' });
  const letter = String.fromCharCode(97 + (version % 26));
  const body = `${head.slice(0, -2)}${letter.repeat(size - head.length)}"}`;
  return Buffer.from(body);
}

async function put(key: string, body: Buffer, contentType = 'application/json'): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: contentType }));
}

async function get(key: string): Promise<{ bytes: Buffer; etag: string; contentType: string | undefined; metadata: Record<string, string> | undefined }> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  return { bytes, etag: object.ETag!.replace(/"/g, ''), contentType: object.ContentType, metadata: object.Metadata };
}

/** Every file under the emulator's directory, relative to it. */
async function filesOnDisk(): Promise<string[]> {
  const entries = await readdir(s3.directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(s3.directory.length + 1));
}

/** Files s3rver itself does not name `<key>._S3rver_<resource>` (or its uploads folder): unfinished writes left behind. */
async function strayFiles(): Promise<string[]> {
  return (await filesOnDisk()).filter((file) => !/\._S3rver_(object|object\.md5|metadata\.json)$/.test(file) && !file.includes('._S3rver_uploads'));
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  s3 = await startS3Emulator({
    buckets: [BUCKET],
    // A notification consumer (the local stack's stand-in for S3 → Lambda) reads the object the moment it is told.
    onEvent: (event: S3Event) => {
      for (const record of event.Records) {
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        if (key.startsWith('events/')) {
          eventReads.push(
            get(key).then(
              ({ bytes }) => ({ key, bytes }),
              (error: Error) => ({ key, bytes: error }),
            ),
          );
        }
      }
    },
  });
  client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

describe("S3 emulator: objects in s3rver's own layout (a data folder kept from earlier versions)", () => {
  it('serves, lists, copies and overwrites an object whose ETag is in a .md5 file beside it, and one with no .md5 at all', async () => {
    // Prepare: two objects written as s3rver 3.7.1 writes them, one without its .md5 file (s3rver recreates those)
    const folder = join(s3.directory, BUCKET, 'legacy', '2026');
    await mkdir(folder, { recursive: true });
    const withMd5 = recordBody(7, 700);
    const withoutMd5 = recordBody(8, 900);
    await writeFile(join(folder, 'a.json._S3rver_object'), withMd5);
    await writeFile(join(folder, 'a.json._S3rver_object.md5'), md5(withMd5));
    await writeFile(join(folder, 'a.json._S3rver_metadata.json'), JSON.stringify({ 'content-type': 'application/json', 'x-amz-meta-station': 'litho-1' }));
    await writeFile(join(folder, 'b.json._S3rver_object'), withoutMd5);
    await writeFile(join(folder, 'b.json._S3rver_metadata.json'), JSON.stringify({ 'content-type': 'application/json' }));

    // Act
    const [a, b] = [await get('legacy/2026/a.json'), await get('legacy/2026/b.json')];
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'legacy/' }));
    await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'legacy/2026/a-copy.json', CopySource: `${BUCKET}/legacy/2026/a.json` }));
    const copy = await get('legacy/2026/a-copy.json');
    const next = recordBody(9, 400);
    await put('legacy/2026/a.json', next);
    const overwritten = await get('legacy/2026/a.json');

    // Assess
    expect([a.etag, a.contentType, a.metadata]).toEqual([md5(withMd5), 'application/json', { station: 'litho-1' }]);
    expect([b.bytes.equals(withoutMd5), b.etag]).toEqual([true, md5(withoutMd5)]);
    expect(listed.Contents?.map(({ Key, ETag, Size }) => [Key, ETag?.replace(/"/g, ''), Size])).toEqual([
      ['legacy/2026/a.json', md5(withMd5), 700],
      ['legacy/2026/b.json', md5(withoutMd5), 900],
    ]);
    expect([copy.bytes.equals(withMd5), copy.etag, copy.metadata]).toEqual([true, md5(withMd5), { station: 'litho-1' }]);
    expect([overwritten.bytes.equals(next), overwritten.etag]).toEqual([true, md5(next)]);
    // The stale .md5 of the overwritten version is gone, so nothing can read the old ETag from it.
    expect(existsSync(join(folder, 'a.json._S3rver_object.md5'))).toBe(false);
  });
});

describe('S3 emulator: a PUT is atomic and read-after-write consistent', () => {
  it('serves every concurrent GET and HEAD of a key being rewritten as exactly one written version, byte for byte', async () => {
    // Prepare
    const key = 'inspections/2026/11/26/01JDVCONCURRENTREWRITE0001.json';
    const sizes = [200, 900, 4 * KB, 16 * KB, 48 * KB, 100 * KB, 170 * KB, 240 * KB, 300 * KB, 333, 7 * KB, 260 * KB];
    const versions = sizes.map((size, version) => recordBody(version, size));
    const versionByMd5 = new Map(versions.map((body) => [md5(body), body]));
    await put(key, versions[0]!);
    const problems: string[] = [];

    // Act
    for (let round = 0; round < 3; round += 1) {
      await Promise.all(
        versions.flatMap((body, version) => [
          put(key, body),
          ...[0, 1].map(() =>
            get(key).then(
              ({ bytes, etag }) => {
                const match = versionByMd5.get(md5(bytes));
                if (!match) problems.push(`GET returned ${bytes.length} bytes matching no written version`);
                else if (etag !== md5(bytes)) problems.push(`GET of version ${match.length} B carried the ETag of another version`);
              },
              (error: Error) => problems.push(`GET failed: ${error.name} ${error.message}`),
            ),
          ),
          client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
            (head) => {
              const described = versionByMd5.get(head.ETag!.replace(/"/g, ''));
              if (described?.length !== head.ContentLength) {
                problems.push(`HEAD ContentLength ${head.ContentLength} does not belong to ETag ${head.ETag} (version ${version})`);
              }
            },
            (error: Error) => problems.push(`HEAD failed: ${error.name} ${error.message}`),
          ),
        ]),
      );
    }
    const settled = await get(key);

    // Assess
    expect(problems).toEqual([]);
    expect(versionByMd5.has(md5(settled.bytes))).toBe(true);
    expect(await strayFiles()).toEqual([]);
  });

  it('returns the body just written by each awaited PUT (100 rounds: 25 on each of 4 keys at once, 200 B to 300 KB)', async () => {
    // Prepare: four writers at once, as the API and place-call are.
    const keys = [1, 2, 3, 4].map((lane) => `inspections/2026/11/26/01JDVREADAFTERWRITE000000${lane}.json`);
    const mismatches: string[] = [];

    // Act
    await Promise.all(
      keys.map(async (key, lane) => {
        for (let round = 0; round < 25; round += 1) {
          const body = recordBody(round + lane, round % 2 === 0 ? 300 * KB - round * 397 : 200 + round * 131);
          await put(key, body);
          const { bytes, etag } = await get(key);
          if (!bytes.equals(body) || etag !== md5(body)) mismatches.push(`${key} round ${round}: wrote ${body.length} B, read ${bytes.length} B`);
        }
      }),
    );

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('keeps an upload in progress invisible (old version served and listed, no temporary file listed) until it completes', async () => {
    // Prepare: a body larger than the emulator keeps in memory, so part of it is on disk while it is received
    const prefix = 'inspections/2026/11/27/';
    const key = `${prefix}01JDVSLOWUPLOAD00000000001.json`;
    const neighbour = `${prefix}01JDVNEIGHBOUR000000000001.json`;
    const previous = recordBody(1, 2 * KB);
    const next = recordBody(2, IN_MEMORY_BODY_BYTES + 512 * KB);
    const half = IN_MEMORY_BODY_BYTES + 128 * KB;
    await put(key, previous);
    await put(neighbour, recordBody(3, 500));
    const filesBefore = new Set(await filesOnDisk());
    const body = new PassThrough();
    const upload = client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: next.length }));
    body.write(next.subarray(0, half));
    // s3rver has most of the new version once some file under the bucket holds that much that was not there before.
    await waitFor(async () => {
      for (const file of await filesOnDisk()) {
        if (!filesBefore.has(file) || file.endsWith(`01JDVSLOWUPLOAD00000000001.json._S3rver_object`)) {
          if ((await stat(join(s3.directory, file))).size >= half) return true;
        }
      }
      return false;
    }, 'most of the upload to reach the emulator');

    // Act
    const during = await get(key);
    const listedDuring = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    body.end(next.subarray(half));
    await upload;
    const after = await get(key);
    const listedAfter = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));

    // Assess
    expect(during.bytes.equals(previous)).toBe(true);
    expect(listedDuring.Contents?.map(({ Key, Size }) => [Key, Size])).toEqual([
      [neighbour, 500],
      [key, previous.length],
    ]);
    expect(after.bytes.equals(next)).toBe(true);
    expect(listedAfter.Contents?.map(({ Key, Size }) => [Key, Size])).toEqual([
      [neighbour, 500],
      [key, next.length],
    ]);
    expect(await strayFiles()).toEqual([]);
  });

  it.each([
    ['in memory', 200 * KB, 64 * KB],
    ['partly on disk', IN_MEMORY_BODY_BYTES + 256 * KB, IN_MEMORY_BODY_BYTES + 64 * KB],
  ])('leaves the previous version whole when an upload received %s is abandoned halfway, and cleans up after it', async (_where, size, sent) => {
    // Prepare
    const key = 'inspections/2026/11/28/01JDVABANDONEDUPLOAD000001.json';
    const previous = recordBody(4, 3 * KB);
    await put(key, previous);
    const filesBefore = new Set(await filesOnDisk());
    const body = new PassThrough();
    const abort = new AbortController();
    const upload = client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: size }), { abortSignal: abort.signal }).then(
      () => 'stored',
      () => 'aborted',
    );
    body.write(recordBody(5, size).subarray(0, sent));
    // Received: in memory, given a moment; on disk, once a new file holds more than the emulator keeps in memory.
    if (sent <= IN_MEMORY_BODY_BYTES) await new Promise((resolve) => setTimeout(resolve, 100));
    else {
      await waitFor(async () => {
        for (const file of await filesOnDisk()) if (!filesBefore.has(file) && (await stat(join(s3.directory, file))).size > IN_MEMORY_BODY_BYTES) return true;
        return false;
      }, 'the upload to reach the disk');
    }

    // Act
    abort.abort();
    const outcome = await upload;
    await waitFor(async () => (await strayFiles()).length === 0, 'the abandoned upload to be cleaned up');
    const { bytes } = await get(key);

    // Assess
    expect(outcome).toBe('aborted');
    expect(bytes.equals(previous)).toBe(true);
  });

  it('never lists a temporary file or a size that does not match its ETag while many keys are rewritten', async () => {
    // Prepare
    const prefix = 'inspections/2026/11/29/';
    const keys = Array.from({ length: 8 }, (_, index) => `${prefix}01JDVLISTED${String(index).padStart(15, '0')}.json`);
    const versions = [300, 20 * KB, 120 * KB, 280 * KB].map((size, version) => recordBody(10 + version, size));
    const sizeByMd5 = new Map(versions.map((body) => [md5(body), body.length]));
    await Promise.all(keys.map((key) => put(key, versions[0]!)));
    const problems: string[] = [];
    let writing = true;
    const writers = Promise.all(
      keys.map(async (key, index) => {
        for (let round = 0; round < 6; round += 1) await put(key, versions[(index + round) % versions.length]!);
      }),
    ).finally(() => (writing = false));

    // Act
    let listings = 0;
    while (writing || listings < 5) {
      listings += 1;
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
        const names = listed.Contents?.map(({ Key }) => Key!) ?? [];
        if (JSON.stringify(names) !== JSON.stringify(keys)) problems.push(`listed ${names.join(', ')}`);
        for (const { Key, Size, ETag } of listed.Contents ?? []) {
          if (sizeByMd5.get(ETag!.replace(/"/g, '')) !== Size) problems.push(`${Key} listed with Size ${Size} and ETag ${ETag}`);
        }
      } catch (error) {
        problems.push(`ListObjectsV2 failed: ${(error as Error).name} ${(error as Error).message}`);
      }
    }
    await writers;

    // Assess
    expect(listings).toBeGreaterThanOrEqual(5);
    expect(problems).toEqual([]);
    expect(await strayFiles()).toEqual([]);
  });
});

describe('S3 emulator: copies, form uploads, multipart uploads and notifications', () => {
  it('completes a CopyObject onto itself with MetadataDirective REPLACE (no deadlock) and a copy to another key', async () => {
    // Prepare
    const key = 'inspections/2026/11/30/01JDVCOPYSELF0000000000001.json';
    const copy = 'inspections/2026/11/30/01JDVCOPYOTHER000000000001.json';
    const body = recordBody(6, 40 * KB);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/json', Metadata: { stage: 'detected' } }));

    // Act
    const selfCopies = await Promise.all(
      ['called', 'acknowledged', 'closed'].map((stage) =>
        client.send(
          new CopyObjectCommand({
            Bucket: BUCKET,
            Key: key,
            CopySource: `${BUCKET}/${key}`,
            MetadataDirective: 'REPLACE',
            ContentType: 'application/json; charset=utf-8',
            Metadata: { stage },
          }),
        ),
      ),
    );
    const readDuringCopies = await get(key);
    const otherCopy = await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: copy, CopySource: `${BUCKET}/${key}` }));
    const self = await get(key);
    const other = await get(copy);

    // Assess
    expect(selfCopies.map((result) => result.CopyObjectResult?.ETag?.replace(/"/g, ''))).toEqual([md5(body), md5(body), md5(body)]);
    expect(readDuringCopies.bytes.equals(body)).toBe(true);
    expect(self.bytes.equals(body)).toBe(true);
    expect(self.contentType).toBe('application/json; charset=utf-8');
    expect(['called', 'acknowledged', 'closed']).toContain(self.metadata?.stage);
    expect(otherCopy.CopyObjectResult?.ETag?.replace(/"/g, '')).toBe(md5(body));
    expect(other.bytes.equals(body)).toBe(true);
    expect(other.etag).toBe(md5(body));
    expect(other.contentType).toBe('application/json; charset=utf-8');
    expect(other.metadata).toEqual({ stage: self.metadata?.stage });
    expect(await strayFiles()).toEqual([]);
  });

  it('serves a presigned POST form upload completely as soon as the POST is answered', async () => {
    // Prepare
    const store = new S3CameraUploadStore({ client, bucket: BUCKET, endpoint: s3.endpoint });
    const results: Array<[number, boolean]> = [];

    // Act
    for (let round = 0; round < 20; round += 1) {
      const key = `incoming/01JDVFORMUPLOAD${String(round).padStart(12, '0')}`;
      const bytes = recordBody(round, round % 2 === 0 ? 256 * KB : 300);
      const upload = await store.presignUpload({ key, maxBytes: 1024 * KB, expiresInSeconds: 300 });
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('Content-Type', 'image/png');
      // A file part with a name is streamed by s3rver; a plain field named "file" reaches its store as a Buffer.
      form.append('file', round % 4 < 2 ? new Blob([bytes], { type: 'image/png' }) : bytes.toString('latin1'));
      const response = await fetch(upload.url, { method: 'POST', body: form });
      await response.arrayBuffer();
      results.push([response.status, (await get(key)).bytes.equals(bytes)]);
    }

    // Assess
    expect(results).toEqual(Array.from({ length: 20 }, () => [204, true]));
  });

  it('assembles a multipart upload atomically: the old version until CompleteMultipartUpload, then all parts', async () => {
    // Prepare
    const key = 'inspections/2026/12/01/01JDVMULTIPART000000000001.json';
    const previous = recordBody(7, KB);
    const parts = [recordBody(8, 150 * KB), recordBody(9, 90 * KB)];
    await put(key, previous);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: 'application/json' }));
    const etags = await Promise.all(
      parts.map((part, index) => client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: index + 1, Body: part }))),
    );

    // Act
    const beforeCompletion = await get(key);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: etags.map(({ ETag }, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
    const afterCompletion = await get(key);

    // Assess
    expect(beforeCompletion.bytes.equals(previous)).toBe(true);
    expect(afterCompletion.bytes.equals(Buffer.concat(parts))).toBe(true);
    expect(afterCompletion.contentType).toBe('application/json');
  });

  it('notifies only once the object is readable in full, so a consumer reading on the event gets the whole body', async () => {
    // Prepare
    const bodies = Array.from({ length: 30 }, (_, index) => recordBody(index, index % 2 === 0 ? 280 * KB : 250));
    eventReads.length = 0;

    // Act
    await Promise.all(bodies.map((body, index) => put(`events/${String(index).padStart(2, '0')}.json`, body)));
    const reads = await Promise.all(eventReads);

    // Assess
    expect(reads).toHaveLength(30);
    expect(
      reads
        .map(({ key, bytes }) => [key, bytes instanceof Error ? bytes.message : bytes.equals(bodies[Number(key.slice(7, 9))]!)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual(bodies.map((_, index) => [`events/${String(index).padStart(2, '0')}.json`, true]));
  });
});

describe('S3 emulator: conditional writes (If-Match, If-None-Match) as S3 answers them', () => {
  /** The outcome of one conditional PUT: `ok`, or the S3 error name and HTTP status the real client reports. */
  async function conditionalPut(key: string, body: Buffer, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<string> {
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/json', ...condition }));
      return 'ok';
    } catch (error) {
      const { name, $metadata } = error as { name: string; $metadata?: { httpStatusCode?: number } };
      return `${name} ${$metadata?.httpStatusCode}`;
    }
  }

  it('answers 412 PreconditionFailed to a PUT whose If-Match ETag is stale, and leaves the object as it was', async () => {
    // Prepare
    const key = 'inspections/2026/11/26/01JDVCONDITIONALSTALE00001.json';
    await put(key, recordBody(1, 300));
    const first = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    await first.Body!.transformToByteArray();
    await put(key, recordBody(2, 300));

    // Act
    const stale = await conditionalPut(key, recordBody(3, 300), { IfMatch: first.ETag! });

    // Assess
    expect(first.ETag).toBe(JSON.stringify(md5(recordBody(1, 300))));
    expect(stale).toBe('PreconditionFailed 412');
    expect((await get(key)).bytes.equals(recordBody(2, 300))).toBe(true);
    expect(await strayFiles()).toEqual([]);
  });

  it('takes a PUT whose If-Match is the current ETag, quoted as GetObject answers it or bare', async () => {
    // Prepare
    const key = 'inspections/2026/11/26/01JDVCONDITIONALMATCH00001.json';
    await put(key, recordBody(1, 200));
    const quoted = (await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag!;

    // Act
    const withQuotes = await conditionalPut(key, recordBody(2, 200), { IfMatch: quoted });
    const bare = await conditionalPut(key, recordBody(3, 200), { IfMatch: md5(recordBody(2, 200)) });

    // Assess
    expect(quoted).toMatch(/^"[0-9a-f]{32}"$/);
    expect([withQuotes, bare]).toEqual(['ok', 'ok']);
    expect((await get(key)).bytes.equals(recordBody(3, 200))).toBe(true);
  });

  it('creates with If-None-Match: * only while the key is free (412 once it exists), and answers If-Match on a missing key with 404 NoSuchKey', async () => {
    // Prepare
    const key = 'inspections/2026/11/26/01JDVCONDITIONALCREATE0001.json';
    const missing = 'inspections/2026/11/26/01JDVCONDITIONALMISSING01.json';

    // Act
    const created = await conditionalPut(key, recordBody(1, 100), { IfNoneMatch: '*' });
    const again = await conditionalPut(key, recordBody(2, 100), { IfNoneMatch: '*' });
    const ifMatchMissing = await conditionalPut(missing, recordBody(3, 100), { IfMatch: md5(recordBody(3, 100)) });

    // Assess
    expect([created, again, ifMatchMissing]).toEqual(['ok', 'PreconditionFailed 412', 'NoSuchKey 404']);
    expect((await get(key)).bytes.equals(recordBody(1, 100))).toBe(true);
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: missing }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(await strayFiles()).toEqual([]);
  });

  it('lets exactly one of many concurrent conditional PUTs on the same version win, for If-Match and for If-None-Match', async () => {
    // Prepare
    const replaced = 'inspections/2026/11/26/01JDVCONDITIONALRACE000001.json';
    const created = 'inspections/2026/11/26/01JDVCONDITIONALRACE000002.json';
    await put(replaced, recordBody(0, 2 * KB));
    const { etag } = await get(replaced);
    // Bodies of different sizes, so the racers finish streaming at different moments.
    const bodies = Array.from({ length: 16 }, (_, index) => recordBody(index + 1, (index + 1) * 3 * KB));

    // Act
    const [ifMatch, ifNoneMatch] = await Promise.all([
      Promise.all(bodies.map((body) => conditionalPut(replaced, body, { IfMatch: `"${etag}"` }))),
      Promise.all(bodies.map((body) => conditionalPut(created, body, { IfNoneMatch: '*' }))),
    ]);

    // Assess
    for (const [key, outcomes] of [
      [replaced, ifMatch],
      [created, ifNoneMatch],
    ] as const) {
      expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'PreconditionFailed 412')).toHaveLength(bodies.length - 1);
      const winner = bodies[outcomes.indexOf('ok')]!;
      expect((await get(key)).bytes.equals(winner)).toBe(true);
    }
    expect(await strayFiles()).toEqual([]);
  });
});
