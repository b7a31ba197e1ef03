import { createHash, randomBytes, type Hash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
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
//   in one synchronous step: a PUT is answered only once its object is complete and visible;
// - readers open the object, fstat that descriptor and read its md5 and metadata in one synchronous step, then stream
//   from the open descriptor. A later rename replaces the name, not the inode being read (POSIX), so a GET always
//   returns one whole version with the size, ETag and headers of that version, and nothing waits on a client's
//   download or upload (a slow client cannot block others).
// - copyObject snapshots the source, then writes the destination like a PUT.
// - putObject honours PutObject's conditional-write headers as S3 does: `If-Match: <etag>` (412 PreconditionFailed
//   when the object's ETag differs, 404 NoSuchKey when there is no object) and `If-None-Match: *` (412 when the object
//   exists). The check runs in the same synchronous step as the renames, so of two concurrent conditional PUTs on one
//   version only one can win. (S3 may also answer 409 ConditionalRequestConflict; serialised here, never.)
// Controllers (and so S3 event notifications, presigned POST and multipart completion, which calls putObject) are
// untouched. Not emulated: fsync before answering (the data is in the OS page cache, which every reader shares).
//
// Every file system call here is synchronous, on purpose. s3rver runs in a worker thread of its own (s3-emulator.ts),
// where such a call on a small file costs microseconds, while each asynchronous one is a round trip through libuv's
// thread pool (0.1–0.3 ms here, woken by futexes): the 15 or so of a PUT made up most of its 5 ms. And a section that
// never awaits cannot interleave with another request's, so each of the steps above is atomic without a lock. Only
// the bodies stream (a PUT's request, a copy's source): chunk by chunk, as they arrive, into a temporary file.

const require = createRequire(import.meta.url);
// The controllers read .size, .range and .lastModifiedDate from this class, so readers must return real instances.
const S3Object = require('s3rver/lib/models/object') as {
  new (bucket: string, key: string, content: Readable | null, metadata: S3rverMetadata): S3rverObject;
  ALLOWED_METADATA: string[];
};

const S3Bucket = require('s3rver/lib/models/bucket') as new (name: string, creationDate: Date) => unknown;
const { getConfigModel } = require('s3rver/lib/models/config') as { getConfigModel(type: string): new (xml: string) => unknown };

// Thrown from the store, an S3Error reaches s3rver's error handler, which answers with its status and S3's XML body.
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: Record<string, string>) => Error;

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

interface ObjectPaths {
  object: string;
  md5: string;
  metadata: string;
}

/** What a reader saw in one step: an open descriptor on one version and that version's metadata. */
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
 * none). Called in the same synchronous step as the renames, so nothing can change the object between this check and the write.
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

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
}

/** The metadata s3rver persists for an object: the allowed headers and x-amz-meta-* (as putMetadata picks them). */
function storableMetadataJson(metadata: S3rverMetadata): string {
  const kept: S3rverMetadata = {};
  for (const name of S3Object.ALLOWED_METADATA) if (name in metadata) kept[name] = metadata[name];
  for (const [name, value] of Object.entries(metadata)) if (name.startsWith('x-amz-meta-')) kept[name] = value;
  return JSON.stringify(kept, null, 2);
}

/** Create a new file exclusively, and its directory when that is missing; returns its descriptor. */
function createExclusively(path: string): number {
  try {
    return openSync(path, 'wx');
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'wx');
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.byteLength;) written += writeSync(fd, bytes, written);
}

/** Write `bytes` to a new file, closed when this returns. */
function writeNewFileNow(path: string, bytes: Uint8Array): void {
  const fd = createExclusively(path);
  try {
    writeAll(fd, bytes);
  } catch (error) {
    closeSync(fd);
    removeQuietly(path);
    throw error;
  }
  closeSync(fd);
}

/**
 * Write a body to a new file chunk by chunk as it arrives, hashing it into `md5`; resolves once the file is closed
 * with the byte count. A body that fails (a client gone halfway) leaves no file behind.
 */
async function writeNewFile(path: string, content: Buffer | Readable, md5: Hash): Promise<number> {
  const fd = createExclusively(path);
  let size = 0;
  try {
    for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      md5.update(bytes);
      writeAll(fd, bytes);
      size += bytes.byteLength;
    }
  } catch (error) {
    closeSync(fd);
    removeQuietly(path);
    throw error;
  }
  closeSync(fd);
  return size;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Make an s3rver instance's FilesystemStore atomic and read-after-write consistent for objects, like S3 (idempotent).
 * Call it before the first request, in the thread that runs s3rver and nothing else (its file calls block that thread).
 */
export function makeS3rverStoreConsistent(store: S3rverFilesystemStore): void {
  const tagged = store as S3rverFilesystemStore & { [PATCHED]?: true };
  if (tagged[PATCHED]) return;
  tagged[PATCHED] = true;

  const pathsOf = (bucket: string, key: string): ObjectPaths => ({
    object: store.getResourcePath(bucket, key, 'object'),
    md5: store.getResourcePath(bucket, key, 'object.md5'),
    metadata: store.getResourcePath(bucket, key, 'metadata.json'),
  });

  // Mirrors FilesystemStore.getMetadata, but sizes come from the caller's stat of the exact version it will serve, and
  // a missing .md5 (objects written by older s3rver runs) is recreated atomically.
  function metadataOf(paths: ObjectPaths, stats: Stats): { metadata: S3rverMetadata; json: string | undefined } {
    const json = readOrUndefined(paths.metadata);
    let md5 = readOrUndefined(paths.md5);
    if (md5 === undefined) {
      md5 = createHash('md5').update(readFileSync(paths.object)).digest('hex');
      const temporary = temporaryPathFor(paths.md5);
      writeNewFileNow(temporary, Buffer.from(md5));
      renameSync(temporary, paths.md5);
    }
    const stored = json === undefined ? {} : (JSON.parse(json) as S3rverMetadata);
    return {
      metadata: { ...stored, etag: JSON.stringify(md5), 'last-modified': stats.mtime.toUTCString(), 'content-length': stats.size },
      json,
    };
  }

  // The ETag a GET of the object would answer now (the same quoted md5), or undefined.
  function currentETag(paths: ObjectPaths): string | undefined {
    let stats: Stats;
    try {
      stats = statSync(paths.object);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    return String(metadataOf(paths, stats).metadata.etag);
  }

  // Open one version of the object and read its metadata; the descriptor is the caller's to close.
  function snapshot(paths: ObjectPaths): ObjectSnapshot | null {
    let fd: number;
    try {
      fd = openSync(paths.object, 'r');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return null;
      throw error;
    }
    try {
      const { metadata, json } = metadataOf(paths, fstatSync(fd));
      return { fd, metadata, storedMetadataJson: json };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  // Move finished temporary files into place as one step for every reader, and (for a copy, which answers with it)
  // describe the result in that same step. The object goes last, because existsObject checks only it: once it exists,
  // its metadata does too. `metadataJson: null` removes stored metadata (a copy of an object that had none).
  // `precondition` (a conditional PUT) is checked against the current object first. Temporary files not moved (the
  // precondition failed) are removed.
  function publish(paths: ObjectPaths, files: PublishedFiles): void;
  function publish(paths: ObjectPaths, files: PublishedFiles, describe: 'describe'): S3rverMetadata;
  function publish(paths: ObjectPaths, files: PublishedFiles, describe?: 'describe'): S3rverMetadata | void {
    const temporaryMd5 = files.md5 === undefined ? undefined : temporaryPathFor(paths.md5);
    const temporaryMetadata = files.metadataJson === null ? undefined : temporaryPathFor(paths.metadata);
    let moved = false;
    try {
      if (temporaryMd5) writeNewFileNow(temporaryMd5, Buffer.from(files.md5!));
      if (temporaryMetadata) writeNewFileNow(temporaryMetadata, Buffer.from(files.metadataJson!));
      if (files.precondition) files.precondition(currentETag(paths));
      if (temporaryMd5) renameSync(temporaryMd5, paths.md5);
      if (temporaryMetadata) renameSync(temporaryMetadata, paths.metadata);
      else removeQuietly(paths.metadata);
      moved = true;
      if (files.object) renameSync(files.object, paths.object);
      if (describe) return metadataOf(paths, statSync(paths.object)).metadata;
    } finally {
      if (!moved) for (const path of [temporaryMd5, temporaryMetadata]) if (path) removeQuietly(path);
    }
  }

  // Every request asks for its bucket, and most for the bucket's CORS and website configuration (middleware): here as
  // s3rver answers them, without three round trips to the thread pool per request.
  store.getBucket = async (bucket) => {
    try {
      const stats = statSync(store.getBucketPath(bucket));
      return stats.isDirectory() ? new S3Bucket(bucket, stats.birthtime) : null;
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return null;
      throw error;
    }
  };

  store.getSubresource = async (bucket, key, resourceType) => {
    const xml = readOrUndefined(store.getResourcePath(bucket, key, `${resourceType}.xml`));
    if (xml === undefined) return null;
    const Model = getConfigModel(resourceType);
    return new Model(xml);
  };

  store.getMetadata = async (bucket, key) => {
    const paths = pathsOf(bucket, key);
    // Throws ENOENT for a missing object, as the original: listObjects skips keys deleted while it ran.
    return metadataOf(paths, statSync(paths.object)).metadata;
  };

  store.putMetadata = async (bucket, key, metadata, md5) => {
    publish(pathsOf(bucket, key), { md5, metadataJson: storableMetadataJson(metadata) });
  };

  store.getObject = async (bucket, key, options) => {
    const taken = snapshot(pathsOf(bucket, key));
    if (!taken) return null;
    const { fd, metadata } = taken;
    // Same range arithmetic as FilesystemStore.getObject, on the size of the version just opened.
    const lastByte = Math.max(0, Number(metadata['content-length']) - 1);
    const range = { start: options?.start || 0, end: Math.min(options?.end || Infinity, lastByte) };
    const ranged = options !== undefined && (options.start !== undefined || Boolean(options.end));
    if (range.start < 0 || range.end < range.start) {
      closeSync(fd);
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
    // The body is read in full before any precondition answers, so a refused PUT never leaves it unread on the socket.
    const size = await writeNewFile(temporaryObject, object.content ?? Buffer.alloc(0), hash);
    const md5 = hash.digest('hex');
    let published = false;
    try {
      if (precondition.ifNoneMatch !== undefined && precondition.ifNoneMatch !== '*') {
        throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
      }
      const conditional = precondition.ifMatch !== undefined || precondition.ifNoneMatch !== undefined;
      publish(paths, {
        object: temporaryObject,
        md5,
        metadataJson: storableMetadataJson(object.metadata),
        ...(conditional ? { precondition: (etag: string | undefined) => checkWritePrecondition(precondition, object.key, etag) } : {}),
      });
      published = true;
      return { size, md5 };
    } finally {
      if (!published) removeQuietly(temporaryObject);
    }
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const source = pathsOf(srcBucket, srcKey);
    const destination = pathsOf(destBucket, destKey);
    if (source.object === destination.object) {
      // A copy onto itself (s3rver allows it only with REPLACE) keeps the bytes and their md5 and swaps the metadata.
      return publish(
        destination,
        { metadataJson: replacementMetadata ? storableMetadataJson(replacementMetadata) : (readOrUndefined(destination.metadata) ?? null) },
        'describe',
      );
    }
    const taken = snapshot(source);
    if (!taken) throw Object.assign(new Error(`ENOENT: no such object ${srcBucket}/${srcKey}`), { code: 'ENOENT' });
    const sourceBytes = createReadStream('', { fd: taken.fd, autoClose: true });
    const temporaryObject = temporaryPathFor(destination.object);
    let published = false;
    try {
      const hash = createHash('md5');
      await writeNewFile(temporaryObject, sourceBytes, hash);
      const described = publish(
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
      if (!published) removeQuietly(temporaryObject);
    }
  };

  store.deleteObject = async (bucket, key) => {
    const paths = pathsOf(bucket, key);
    for (const path of [paths.object, paths.md5, paths.metadata]) removeQuietly(path);
    // Prune directories left empty, as s3rver does, but stop where another object still has files.
    const bucketPath = store.getBucketPath(bucket);
    let directory = dirname(paths.object);
    while (directory !== bucketPath && !relative(bucketPath, directory).startsWith('..')) {
      try {
        rmdirSync(directory);
      } catch (error) {
        if (isErrorCode(error, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) break;
        throw error;
      }
      directory = dirname(directory);
    }
  };

  const listObjects = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    // s3rver walks the bucket with readdirSync + statSync. Nothing here can remove a file during that walk, but
    // s3rver's own asynchronous file calls (its multipart uploads' parts) run on libuv's threads meanwhile, and a file
    // gone between the two calls makes statSync throw ENOENT. The files that exist are unaffected, so walking again
    // gives a correct listing.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await listObjects(bucket, options);
      } catch (error) {
        if (!isErrorCode(error, 'ENOENT') || attempt >= LISTING_ATTEMPTS) throw error;
      }
    }
  };
}
