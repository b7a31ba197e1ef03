import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { startEmulatorThread } from '../../../local/emulators/emulator-thread';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import type { FixtureOptions } from '../../fixtures/emulator-thread-fixture';

// s3rver and dynalite run in worker threads of their own (local/emulators/emulator-thread.ts), as S3 and DynamoDB run
// beside a Lambda function: a handler holding its thread (the detector's 20 ms) no longer holds them up.
const BUCKET = 'waferwatch-threads';
const TABLE = 'threads-table';
const FIXTURE = new URL('../../fixtures/emulator-thread-fixture.ts', import.meta.url);
const directories: string[] = [];
let s3: S3Emulator;
let dynamoDb: DynamoDbEmulator;
const events: string[] = [];

async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'waferwatch-threads-'));
  directories.push(directory);
  return directory;
}

/** A port something else is listening on. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, server };
}

beforeAll(async () => {
  [s3, dynamoDb] = await Promise.all([
    startS3Emulator({ buckets: [BUCKET], onEvent: (event) => events.push(event.Records[0]!.s3.object.key) }),
    startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }] }),
  ]);
});

afterAll(async () => {
  await Promise.all([s3?.close(), dynamoDb?.close()]);
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('S3 and DynamoDB emulators in worker threads', () => {
  it('store a PUT while this thread is blocked in a synchronous busy-wait', async () => {
    // Prepare
    const key = 'inspections/blocked-put.jpg';
    const body = Buffer.alloc(512 * 1024, 7);
    const objectFile = join(s3.directory, BUCKET, `${key}._S3rver_object`);
    const storedBefore = existsSync(objectFile);
    let flushed!: () => void;
    const sent = new Promise<void>((resolve) => (flushed = resolve));
    const status = new Promise<number>((resolve, reject) => {
      const put = httpRequest(`${s3.endpoint}/${BUCKET}/${key}`, { method: 'PUT', headers: { 'content-length': body.byteLength } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      put.on('error', reject);
      // Every byte of the request has been handed to the operating system.
      put.on('finish', () => flushed());
      put.end(body);
    });
    await sent;

    // Act: from here this thread does not yield for at least 100 ms, and not until the object is on disk (at most 5 s)
    const started = performance.now();
    let storedAfterMs: number | undefined;
    while (performance.now() - started < 100 || (storedAfterMs === undefined && performance.now() - started < 5_000)) {
      if (storedAfterMs === undefined && existsSync(objectFile)) storedAfterMs = performance.now() - started;
    }

    // Assess: stored while this thread was blocked, and answered once it yields
    expect(storedBefore).toBe(false);
    expect(storedAfterMs).toBeDefined();
    expect(await status).toBe(200);
    expect(events).toContain(key);
  });

  it('answer another process while this thread is blocked in a synchronous call', async () => {
    // Prepare
    const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'records/seen-from-outside.json', Body: '{"ok":true}' }));
    client.destroy();
    const script = `
      const [s3, dynamoDb] = process.argv.slice(1);
      const object = await fetch(s3 + '/${BUCKET}/records/seen-from-outside.json').then((r) => r.text());
      const tables = await fetch(dynamoDb, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', 'x-amz-date': '20260101T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' },
        body: '{}',
      }).then((r) => r.json());
      console.log(JSON.stringify({ object, tables: tables.TableNames }));`;

    // Act: spawnSync blocks this thread until the child is done (in-process emulators could never answer it)
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, s3.endpoint, dynamoDb.endpoint], { encoding: 'utf8', timeout: 20_000 });

    // Assess
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ object: '{"ok":true}', tables: [TABLE] });
  });

  it('hands each S3 notification to onEvent in this thread, in order, before the PUT that caused it is answered', async () => {
    // Prepare
    const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
    const seenAtAnswer: number[] = [];
    const before = events.length;

    // Act
    for (let i = 0; i < 10; i += 1) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `ordered/${i}.json`, Body: String(i) }));
      seenAtAnswer.push(events.length - before);
    }
    client.destroy();

    // Assess
    expect(seenAtAnswer).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.slice(before)).toEqual(Array.from({ length: 10 }, (_, i) => `ordered/${i}.json`));
  });

  it('notifies only the keys under notifyPrefix, as a bucket filtered by prefix does', async () => {
    // Prepare
    const told: string[] = [];
    const filtered = await startS3Emulator({ buckets: [BUCKET], notifyPrefix: 'incoming/', onEvent: (event) => told.push(event.Records[0]!.s3.object.key) });
    const client = createS3Client({ region: 'us-east-1', endpoint: filtered.endpoint });

    // Act
    for (const key of ['inspections/2026/11/30/a.json', 'incoming/a b.jpg', 'incomingX/c.jpg', 'feedback/litho-1/normal/d.jpg']) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{}' }));
    }
    client.destroy();
    await filtered.close();

    // Assess
    expect(told).toEqual(['incoming/a b.jpg']);
  });

  it('keeps answering when onEvent throws, and says so', async () => {
    // Prepare
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const throwing = await startS3Emulator({
      buckets: [BUCKET],
      onEvent: () => {
        throw new Error('consumer broke');
      },
    });
    const client = createS3Client({ region: 'us-east-1', endpoint: throwing.endpoint });

    // Act
    const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.json', Body: '{}' }));
    client.destroy();
    await throwing.close();
    const logged = errors.mock.calls.flat().map(String).join(' ');
    errors.mockRestore();

    // Assess
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(logged).toContain('onEvent threw: Error: consumer broke');
  });

  it('keep S3 objects in a given directory across a restart, and stop answering once closed', async () => {
    // Prepare
    const directory = await freshDirectory();
    const first = await startS3Emulator({ buckets: [BUCKET], directory });
    const writer = createS3Client({ region: 'us-east-1', endpoint: first.endpoint });
    await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.json', Body: '{"kept":1}' }));
    writer.destroy();
    await first.close();
    await first.close();

    // Act
    const refused = await fetch(`${first.endpoint}/${BUCKET}/kept.json`).then(
      () => undefined,
      (error: Error) => (error.cause as NodeJS.ErrnoException | undefined)?.code,
    );
    const second = await startS3Emulator({ buckets: [BUCKET], directory });
    const reader = createS3Client({ region: 'us-east-1', endpoint: second.endpoint });
    const kept = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.json' }));
    const text = await kept.Body!.transformToString();
    reader.destroy();
    await second.close();

    // Assess
    expect(refused).toBe('ECONNREFUSED');
    expect(text).toBe('{"kept":1}');
    expect(existsSync(join(directory, BUCKET))).toBe(true);
  });
});

describe('an emulator that cannot start', () => {
  it('rejects with the reason when its port is taken', async () => {
    // Prepare
    const { port, server } = await takenPort();

    // Act
    const starts = await Promise.allSettled([startS3Emulator({ buckets: [BUCKET], port }), startDynamoDbEmulator({ tables: [], port })]);
    server.close();

    // Assess
    const [s3Start, dynamoDbStart] = starts.map((start) => (start.status === 'rejected' ? (start.reason as NodeJS.ErrnoException) : undefined));
    expect(s3Start?.message).toMatch(new RegExp(`^S3 emulator \\(s3rver\\) did not start: listen EADDRINUSE.*:${port}$`));
    expect(s3Start?.code).toBe('EADDRINUSE');
    expect(dynamoDbStart?.message).toMatch(new RegExp(`^DynamoDB emulator \\(dynalite\\) did not start: listen EADDRINUSE.*:${port}$`));
    expect(dynamoDbStart?.code).toBe('EADDRINUSE');
  });

  it('rejects with the reason when its directory cannot be created', async () => {
    // Prepare: a directory below a plain file
    const file = join(await freshDirectory(), 'a-file');
    await writeFile(file, 'not a directory');

    // Act
    const [s3Start, dynamoDbStart] = await Promise.allSettled([
      startS3Emulator({ buckets: [BUCKET], directory: join(file, 's3') }),
      startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }], directory: join(file, 'alert-state') }),
    ]);

    // Assess
    expect(s3Start.status === 'rejected' && (s3Start.reason as NodeJS.ErrnoException)).toMatchObject({
      message: expect.stringMatching(/^S3 emulator \(s3rver\) did not start: ENOTDIR: not a directory/),
      code: 'ENOTDIR',
    });
    expect(dynamoDbStart.status === 'rejected' && (dynamoDbStart.reason as NodeJS.ErrnoException)).toMatchObject({
      message: expect.stringMatching(/^DynamoDB emulator \(dynalite\) did not start: cannot open its LevelDB store in .*ENOTDIR: not a directory/),
      code: 'ENOTDIR',
    });
  });

  it('rejects with the reason when another emulator holds the same DynamoDB directory', async () => {
    // Prepare
    const directory = await freshDirectory();
    const holder = await startDynamoDbEmulator({ tables: [], directory });

    // Act
    const second = startDynamoDbEmulator({ tables: [], directory });

    // Assess
    await expect(second).rejects.toThrow(/did not start: cannot open its LevelDB store in .*lock .*LOCK: already held by process/);
    await holder.close();
  });
});

describe('startEmulatorThread', () => {
  it('runs the served module in another thread and passes messages both ways, in order', async () => {
    // Prepare
    const received: unknown[] = [];
    const thread = await startEmulatorThread<FixtureOptions, { threadId: number }>({
      name: 'fixture',
      module: FIXTURE,
      exportName: 'serveFixture',
      options: {},
      onMessage: (message) => received.push(message),
    });

    // Act
    for (let i = 0; i < 5; i += 1) thread.post(i);
    await vi.waitFor(() => expect(received).toHaveLength(5));
    await thread.close();

    // Assess
    expect(thread.ready.threadId).not.toBe(threadId);
    expect(received).toEqual([0, 1, 2, 3, 4].map((echo) => ({ echo })));
  });

  it('rejects with the served function’s error when it fails to start', async () => {
    // Act
    const start = startEmulatorThread<FixtureOptions, unknown>({
      name: 'fixture',
      module: FIXTURE,
      exportName: 'serveFixture',
      options: { failWith: 'no such bucket' },
    });

    // Assess
    await expect(start).rejects.toThrow('fixture did not start: no such bucket');
    await expect(start).rejects.toMatchObject({ code: 'EFIXTURE' });
  });

  it('rejects when the served module does not load', async () => {
    // Act
    const start = startEmulatorThread<FixtureOptions, unknown>({ name: 'fixture', module: FIXTURE, exportName: 'noSuchExport', options: {} });

    // Assess
    await expect(start).rejects.toThrow(/^fixture did not start: noSuchExport is not a function of .*emulator-thread-fixture\.ts$/);
  });

  it('logs a crash after the start, and close() then resolves at once', async () => {
    // Prepare
    const lines: string[] = [];
    const thread = await startEmulatorThread<FixtureOptions, unknown>({
      name: 'fixture',
      module: FIXTURE,
      exportName: 'serveFixture',
      options: {},
      log: (line) => lines.push(line),
    });

    // Act
    thread.post('crash');
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    const closing = performance.now();
    await thread.close();

    // Assess
    expect(lines[0]).toMatch(/^fixture crashed in its worker thread: Error: the fixture crashed on purpose/);
    expect(performance.now() - closing).toBeLessThan(1_000);
  });
});
