import { createHash, randomBytes, type Hash } from 'node:crypto';
import { close as closeFd, createReadStream, fstat as fstatFd, open as openFd, type Stats } from 'node:fs';
import { mkdir, open, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { S3rverFilesystemStore, S3rverMetadata, S3rverObject } from 's3rver';

// Why this exists: s3rver 3.7.1's FilesystemStore truncates the object file in place (createWriteStream), answers the
// PUT before that stream has finished (at once for Buffer bodies), rewrites metadata.json in place, and its GET stats
// the file and then opens it by name with a byte range from that stat. A GET during or just after a PUT of the same key
// could return a truncated or mixed body, or fail on half-written metadata JSON. Real S3 PUTs are atomic and
// read-after-write consistent, and the product relies on that (place-call rewrites a record the API lists and reads).
//
// The replacement keeps s3rver's on-disk layout (<name>._S3rver_object, .md5, ._S3rver_metadata.json) and makes it behave:
// - writers stream into temporary files in the same directory (names end in `.tmp`, so listings, which only take
//   `._S3rver_object` files, never show them), wait until the file is closed, then rename the three files into place
//   while holding the key's lock: a PUT is answered only once its object is complete and visible;
// - readers take the same per-key lock only while they open the object, fstat that descriptor and read its md5 and
//   metadata, then stream from the open descriptor. A later rename replaces the name, not the inode being read (POSIX),
//   so a GET always returns one whole version with the size, ETag and headers of that version, and the lock is never
//   held across a client's download or upload (a slow client cannot block others, and nothing nests).
// - copyObject snapshots the source under its lock, releases it, writes the destination like a PUT: a copy onto
//   itself (metadata REPLACE) takes one lock once, so it cannot deadlock.
// - putObject honours PutObject's conditional-write headers as S3 does: `If-Match: <etag>` (412 PreconditionFailed
//   when the object's ETag differs, 404 NoSuchKey when there is no object) and `If-None-Match: *` (412 when the object
//   exists). The check runs under the key's lock, in the same section as the rename, so of two concurrent conditional
//   PUTs on one version only one can win. (S3 may also answer 409 ConditionalRequestConflict; serialised here, never.)
// Controllers (and so S3 event notifications, presigned POST and multipart completion, which calls putObject) are
// untouched. Not emulated: fsync before answering (the data is in the OS page cache, which every reader shares).

const require = createRequire(import.meta.url);
// The controllers read .size, .range and .lastModifiedDate from this class, so readers must return real instances.
const S3Object = require('s3rver/lib/models/object') as {
  new (bucket: string, key: string, content: Readable | null, metadata: S3rverMetadata): S3rverObject;
  ALLOWED_METADATA: string[];
};

// Thrown from the store, an S3Error reaches s3rver's error handler, which answers with its status and S3's XML body.
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: Record<string, string>) => Error;

const openFile = promisify(openFd);
const fstatFile = promisify(fstatFd);
const closeFile = promisify(closeFd);

const PATCHED = Symbol.for('waferwatch.s3rver-consistency');
/** How often a listing is retried when a file vanished between s3rver's readdirSync and statSync. */
const LISTING_ATTEMPTS = 5;

/** What publish moves into place for an object. */
interface PublishedFiles {
  object?: string;
  md5?: string;
  metadataJson: string | null;
  precondition?: (currentETag: string | undefined) => void;
}

/** Serialises async sections per key (bucket + key, as the object's path); not reentrant, so callers never nest. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => released);
    this.tails.set(key, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

interface ObjectPaths {
  object: string;
  md5: string;
  metadata: string;
}

/** What a reader saw under the lock: an open descriptor on one version and that version's metadata. */
interface ObjectSnapshot {
  fd: number;
  metadata: S3rverMetadata;
  storedMetadataJson: string | undefined;
}

/** A PutObject's If-Match / If-None-Match headers; empty when the request has neither. */
interface WritePrecondition {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * The conditional-write headers of the PUT behind `content`. s3rver's PutObject controller hands the store the request
 * itself as the body (ctx.req), and its S3Object keeps only storable headers, so the request is where they survive.
 * POST uploads, copies and multipart completion pass other bodies and are never conditional here.
 */
function writePreconditionOf(content: S3rverObject['content']): WritePrecondition {
  if (!(content instanceof IncomingMessage)) return {};
  const header = (name: string) => {
    const value = content.headers[name];
    return typeof value === 'string' ? value.trim() : undefined;
  };
  const precondition: WritePrecondition = {};
  const ifMatch = header('if-match');
  const ifNoneMatch = header('if-none-match');
  if (ifMatch !== undefined) precondition.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) precondition.ifNoneMatch = ifNoneMatch;
  return precondition;
}

/** An ETag without its quotes (s3rver stores `"<md5>"`; clients send it quoted, bare or weak). */
function bareETag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

/**
 * Throw the S3 error for a precondition that fails against the object as it is now (`currentETag` undefined: there is
 * none). Called under the key's lock, so nothing can change the object between this check and the write.
 */
function checkWritePrecondition(precondition: WritePrecondition, key: string, currentETag: string | undefined): void {
  if (precondition.ifMatch !== undefined) {
    if (currentETag === undefined) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    const wanted = precondition.ifMatch.split(',').map(bareETag);
    if (!wanted.includes('*') && !wanted.includes(bareETag(currentETag))) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
    }
  }
  if (precondition.ifNoneMatch !== undefined && currentETag !== undefined) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
  }
}

function isErrorCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

/** A unique sibling of `path`; `.tmp` at the end keeps it out of listings (they only take `._S3rver_object` files). */
function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((error: unknown) => {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  });
}

/** The metadata s3rver persists for an object: the allowed headers and x-amz-meta-* (as putMetadata picks them). */
function storableMetadataJson(metadata: S3rverMetadata): string {
  const kept: S3rverMetadata = {};
  for (const name of S3Object.ALLOWED_METADATA) if (name in metadata) kept[name] = metadata[name];
  for (const [name, value] of Object.entries(metadata)) if (name.startsWith('x-amz-meta-')) kept[name] = value;
  return JSON.stringify(kept, null, 2);
}

/**
 * Create a new file exclusively, creating its directory first. A concurrent DELETE of the last object in that
 * directory may remove the directory between the two steps (s3rver prunes empty directories), hence the retries.
 */
async function createExclusively(path: string) {
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(path), { recursive: true });
    try {
      return await open(path, 'wx');
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT') || attempt >= 5) throw error;
    }
  }
}

/** Write `content` to a new file and resolve only once it is closed; returns the byte count it hashed into `md5`. */
async function writeNewFile(path: string, content: Buffer | Readable | string, md5?: Hash): Promise<number> {
  const handle = await createExclusively(path);
  const out = handle.createWriteStream();
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5?.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = typeof content === 'string' || Buffer.isBuffer(content) ? Readable.from([Buffer.from(content)]) : content;
  try {
    await pipeline(source, counter, out);
    // pipeline settles on 'finish'; the descriptor is closed (and every byte handed to the OS) at 'close'.
    if (!out.closed) await new Promise<void>((resolve, reject) => out.once('close', resolve).once('error', reject));
  } catch (error) {
    out.destroy();
    throw error;
  }
  return size;
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Make an s3rver instance's FilesystemStore atomic and read-after-write consistent for objects, like S3 (idempotent).
 * Call it before the first request.
 */
export function makeS3rverStoreConsistent(store: S3rverFilesystemStore): void {
  const tagged = store as S3rverFilesystemStore & { [PATCHED]?: true };
  if (tagged[PATCHED]) return;
  tagged[PATCHED] = true;
  const locks = new KeyedMutex();

  const pathsOf = (bucket: string, key: string): ObjectPaths => ({
    object: store.getResourcePath(bucket, key, 'object'),
    md5: store.getResourcePath(bucket, key, 'object.md5'),
    metadata: store.getResourcePath(bucket, key, 'metadata.json'),
  });

  // Caller holds the key's lock. Mirrors FilesystemStore.getMetadata, but sizes come from the caller's stat of the
  // exact version it will serve, and a missing .md5 (objects written by older s3rver runs) is recreated atomically.
  async function metadataUnderLock(paths: ObjectPaths, stats: Stats): Promise<{ metadata: S3rverMetadata; json: string | undefined }> {
    const [json, storedMd5] = await Promise.all([readOrUndefined(paths.metadata), readOrUndefined(paths.md5)]);
    let md5 = storedMd5;
    if (md5 === undefined) {
      const hash = createHash('md5');
      for await (const chunk of createReadStream(paths.object)) hash.update(chunk as Buffer);
      md5 = hash.digest('hex');
      const temporary = temporaryPathFor(paths.md5);
      await writeNewFile(temporary, md5);
      await rename(temporary, paths.md5);
    }
    const stored = json === undefined ? {} : (JSON.parse(json) as S3rverMetadata);
    return {
      metadata: { ...stored, etag: JSON.stringify(md5), 'last-modified': stats.mtime.toUTCString(), 'content-length': stats.size },
      json,
    };
  }

  // Caller holds the key's lock. The ETag a GET of the object would answer now (the same quoted md5), or undefined.
  async function etagUnderLock(paths: ObjectPaths): Promise<string | undefined> {
    let stats: Stats;
    try {
      stats = await stat(paths.object);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    return String((await metadataUnderLock(paths, stats)).metadata.etag);
  }

  // Open one version of the object and read its metadata, under the lock; the descriptor outlives the lock.
  async function snapshot(paths: ObjectPaths): Promise<ObjectSnapshot | null> {
    return locks.run(paths.object, async () => {
      let fd: number;
      try {
        fd = await openFile(paths.object, 'r');
      } catch (error) {
        if (isErrorCode(error, 'ENOENT')) return null;
        throw error;
      }
      try {
        const stats = await fstatFile(fd);
        const { metadata, json } = await metadataUnderLock(paths, stats);
        return { fd, metadata, storedMetadataJson: json };
      } catch (error) {
        await closeFile(fd);
        throw error;
      }
    });
  }

  // Move finished temporary files into place as one step for every reader that takes the lock, and (for a copy, which
  // answers with it) describe the result under that same lock. The object goes last, because existsObject (unlocked)
  // checks only it: once it exists, its metadata does too. `metadataJson: null` removes stored metadata (a copy of an
  // object that had none). `precondition` (a conditional PUT) is checked against the current object in the same locked
  // section, first. Temporary files are removed afterwards only when they were not moved: every file system call is a
  // round trip to libuv's thread pool that the PUT's answer waits for.
  function publish(paths: ObjectPaths, files: PublishedFiles): Promise<void>;
  function publish(paths: ObjectPaths, files: PublishedFiles, describe: 'describe'): Promise<S3rverMetadata>;
  async function publish(paths: ObjectPaths, files: PublishedFiles, describe?: 'describe'): Promise<S3rverMetadata | void> {
    const temporaryMd5 = files.md5 === undefined ? undefined : temporaryPathFor(paths.md5);
    const temporaryMetadata = files.metadataJson === null ? undefined : temporaryPathFor(paths.metadata);
    let moved = false;
    try {
      // The two side files are independent of each other: written, and later moved into place, at the same time.
      await Promise.all([
        temporaryMd5 ? writeNewFile(temporaryMd5, files.md5!) : undefined,
        temporaryMetadata ? writeNewFile(temporaryMetadata, files.metadataJson!) : undefined,
      ]);
      return await locks.run(paths.object, async () => {
        if (files.precondition) files.precondition(await etagUnderLock(paths));
        await Promise.all([
          temporaryMd5 ? rename(temporaryMd5, paths.md5) : undefined,
          temporaryMetadata ? rename(temporaryMetadata, paths.metadata) : removeQuietly(paths.metadata),
        ]);
        moved = true;
        if (files.object) await rename(files.object, paths.object);
        if (describe) return (await metadataUnderLock(paths, await stat(paths.object))).metadata;
      });
    } finally {
      if (!moved) await Promise.all([temporaryMd5, temporaryMetadata].flatMap((path) => (path ? [removeQuietly(path)] : [])));
    }
  }

  store.getMetadata = async (bucket, key) => {
    const paths = pathsOf(bucket, key);
    // Throws ENOENT for a missing object, as the original: listObjects skips keys deleted while it ran.
    return locks.run(paths.object, async () => (await metadataUnderLock(paths, await stat(paths.object))).metadata);
  };

  store.putMetadata = async (bucket, key, metadata, md5) => {
    await publish(pathsOf(bucket, key), { md5, metadataJson: storableMetadataJson(metadata) });
  };

  store.getObject = async (bucket, key, options) => {
    const taken = await snapshot(pathsOf(bucket, key));
    if (!taken) return null;
    const { fd, metadata } = taken;
    // Same range arithmetic as FilesystemStore.getObject, on the size of the version just opened.
    const lastByte = Math.max(0, Number(metadata['content-length']) - 1);
    const range = { start: options?.start || 0, end: Math.min(options?.end || Infinity, lastByte) };
    const ranged = options !== undefined && (options.start !== undefined || Boolean(options.end));
    if (range.start < 0 || range.end < range.start) {
      await closeFile(fd);
      const object = new S3Object(bucket, key, null, metadata);
      if (ranged) object.range = range;
      return object;
    }
    const content = createReadStream('', { fd, start: range.start, end: range.end, autoClose: true });
    const object = new S3Object(bucket, key, content, metadata);
    if (ranged) object.range = range;
    return object;
  };

  store.putObject = async (object) => {
    const paths = pathsOf(object.bucket, object.key);
    const precondition = writePreconditionOf(object.content);
    const temporaryObject = temporaryPathFor(paths.object);
    const hash = createHash('md5');
    let published = false;
    try {
      // The body is read in full before any precondition answers, so a refused PUT never leaves it unread on the socket.
      const size = await writeNewFile(temporaryObject, object.content ?? Buffer.alloc(0), hash);
      const md5 = hash.digest('hex');
      if (precondition.ifNoneMatch !== undefined && precondition.ifNoneMatch !== '*') {
        throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
      }
      const conditional = precondition.ifMatch !== undefined || precondition.ifNoneMatch !== undefined;
      await publish(paths, {
        object: temporaryObject,
        md5,
        metadataJson: storableMetadataJson(object.metadata),
        ...(conditional ? { precondition: (currentETag: string | undefined) => checkWritePrecondition(precondition, object.key, currentETag) } : {}),
      });
      published = true;
      return { size, md5 };
    } finally {
      if (!published) await removeQuietly(temporaryObject);
    }
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const source = pathsOf(srcBucket, srcKey);
    const destination = pathsOf(destBucket, destKey);
    if (source.object === destination.object) {
      // A copy onto itself (s3rver allows it only with REPLACE) keeps the bytes and their md5 and swaps the metadata;
      // no source snapshot is taken, so there is exactly one locked section and nothing to deadlock on.
      return publish(
        destination,
        { metadataJson: replacementMetadata ? storableMetadataJson(replacementMetadata) : ((await readOrUndefined(destination.metadata)) ?? null) },
        'describe',
      );
    }
    const taken = await snapshot(source);
    if (!taken) throw Object.assign(new Error(`ENOENT: no such object ${srcBucket}/${srcKey}`), { code: 'ENOENT' });
    const sourceBytes = createReadStream('', { fd: taken.fd, autoClose: true });
    const temporaryObject = temporaryPathFor(destination.object);
    let published = false;
    try {
      const hash = createHash('md5');
      await writeNewFile(temporaryObject, sourceBytes, hash);
      const described = await publish(
        destination,
        {
          object: temporaryObject,
          md5: hash.digest('hex'),
          // Without REPLACE the copy keeps the source's stored metadata (none stays none).
          metadataJson: replacementMetadata ? storableMetadataJson(replacementMetadata) : (taken.storedMetadataJson ?? null),
        },
        'describe',
      );
      published = true;
      return described;
    } finally {
      sourceBytes.destroy();
      if (!published) await removeQuietly(temporaryObject);
    }
  };

  store.deleteObject = async (bucket, key) => {
    const paths = pathsOf(bucket, key);
    await locks.run(paths.object, () => Promise.all([paths.object, paths.md5, paths.metadata].map(removeQuietly)));
    // Prune directories left empty, as s3rver does, but stop quietly where a concurrent PUT has just put a file.
    const bucketPath = store.getBucketPath(bucket);
    let directory = dirname(paths.object);
    while (directory !== bucketPath && !relative(bucketPath, directory).startsWith('..')) {
      try {
        await rmdir(directory);
      } catch (error) {
        if (isErrorCode(error, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) break;
        throw error;
      }
      directory = dirname(directory);
    }
  };

  const listObjects = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    // s3rver walks the bucket with readdirSync + statSync; a temporary file renamed (or an object deleted) between the
    // two makes statSync throw ENOENT. The files that exist are unaffected, so walking again gives a correct listing.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await listObjects(bucket, options);
      } catch (error) {
        if (!isErrorCode(error, 'ENOENT') || attempt >= LISTING_ATTEMPTS) throw error;
      }
    }
  };
}
