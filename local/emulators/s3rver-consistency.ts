import { createHash, randomBytes } from 'node:crypto';
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
// The replacement keeps s3rver's on-disk layout (<name>._S3rver_object and ._S3rver_metadata.json) and makes it behave:
// - a body is received in full before anything of the object changes: in memory up to IN_MEMORY_BODY_BYTES, beyond
//   that in a temporary file in the same directory (names end in `.tmp`, so listings, which only take
//   `._S3rver_object` files, never show them). Then, in one synchronous step, the metadata is written and the object
//   put in place: written as a new file, or (replacing one, or from a temporary file) renamed over the old name. A
//   PUT is answered only once its object is complete and visible;
// - readers open the object, fstat that descriptor and read its metadata in one synchronous step, then stream from the
//   open descriptor. A later rename replaces the name, not the inode being read (POSIX), so a GET always returns one
//   whole version with the size, ETag and headers of that version, and nothing waits on a client's download or
//   upload (a slow client cannot block others).
// - the ETag (the body's quoted md5) is kept in the metadata file: one file less to create and read per object than
//   s3rver's separate .md5 file, which is still read for objects stored without it (and recreated when missing).
// - copyObject snapshots the source, then writes the destination like a PUT.
// - putObject honours PutObject's conditional-write headers as S3 does: `If-Match: <etag>` (412 PreconditionFailed
//   when the object's ETag differs, 404 NoSuchKey when there is no object) and `If-None-Match: *` (412 when the object
//   exists). The check runs in the same synchronous step as the writes, so of two concurrent conditional PUTs on one
//   version only one can win. (S3 may also answer 409 ConditionalRequestConflict; serialised here, never.)
// Controllers (and so S3 event notifications, presigned POST and multipart completion, which calls putObject) are
// untouched. Not emulated: fsync before answering (the data is in the OS page cache, which every reader shares).
//
// Every file system call here is synchronous, on purpose. s3rver runs in a worker thread of its own (s3-emulator.ts),
// where such a call on a small file costs microseconds, while each asynchronous one is a round trip through libuv's
// thread pool (0.1–0.3 ms here, woken by futexes): the 15 or so of a PUT made up most of its 5 ms. And a section that
// never awaits cannot interleave with another request's, so each of the steps above is atomic without a lock. Only
// the bodies stream (a PUT's request, a copy's source), as they arrive. Creating a file is the costly call left (up
// to 0.5 ms on this VM's disk when it is otherwise idle), hence as few of them per object as can be.

const require = createRequire(import.meta.url);
// The controllers read .size, .range and .lastModifiedDate from this class, so readers must return real instances.
const S3Object = require('s3rver/lib/models/object') as {
  new (bucket: string, key: string, content: Readable | null, metadata: S3rverMetadata): S3rverObject;
  ALLOWED_METADATA: string[];
};

const S3Bucket = require('s3rver/lib/models/bucket') as new (name: string, creationDate: Date) => unknown;
const { getConfigModel } = require('s3rver/lib/models/config') as { getConfigModel: (type: string) => new (xml: string) => unknown };

// Thrown from the store, an S3Error reaches s3rver's error handler, which answers with its status and S3's XML body.
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: Record<string, string>) => Error;

const PATCHED = Symbol.for('waferwatch.s3rver-consistency');
/** How often a listing is retried when a file vanished between s3rver's readdirSync and statSync. */
const LISTING_ATTEMPTS = 5;
/** Bodies up to this size are received in memory and written in one step; larger ones go to a temporary file first. */
export const IN_MEMORY_BODY_BYTES = 8 * 1024 * 1024;

/** A body received in full: its bytes, or the temporary file holding them, with their size and md5. */
type ReceivedBody = ({ bytes: Buffer } | { temporaryFile: string }) & { size: number; md5: string };

/** What publish puts in place for an object. */
interface PublishedObject {
  /** The new body; absent when only the metadata changes (a copy onto itself). */
  body?: ReceivedBody;
  /** The object's ETag (its quoted md5). */
  etag: string;
  /** The headers to store (storableMetadata); null keeps none. */
  metadata: S3rverMetadata | null;
  precondition?: (currentETag: string | undefined) => void;
}

interface ObjectPaths {
  object: string;
  /** Written by s3rver itself and by older versions of this module; read for objects whose metadata has no ETag. */
  md5: string;
  metadata: string;
}

/** What a reader saw in one step: an open descriptor on one version and that version's metadata. */
interface ObjectSnapshot {
  fd: number;
  metadata: S3rverMetadata;
  /** The headers stored for it (without the ETag this module keeps beside them), or null when none were. */
  stored: S3rverMetadata | null;
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
 * none). Called in the same synchronous step as the writes, so nothing can change the object between this check and them.
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
function storableMetadata(metadata: S3rverMetadata): S3rverMetadata {
  const kept: S3rverMetadata = {};
  for (const name of S3Object.ALLOWED_METADATA) if (name in metadata) kept[name] = metadata[name];
  for (const [name, value] of Object.entries(metadata)) if (name.startsWith('x-amz-meta-')) kept[name] = value;
  return kept;
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

/** Write `bytes` to `path`, created (with its directory) or truncated: for the small files read in one step only. */
function writeFileNow(path: string, bytes: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'w');
  }
  try {
    writeAll(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write an object's bytes under its name: as a new file when there is none, else into a temporary file renamed over
 * the old one, so a reader streaming the old version keeps it whole.
 */
function writeObjectNow(path: string, bytes: Uint8Array): void {
  try {
    writeNewFileNow(path, bytes);
    return;
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  }
  const temporary = temporaryPathFor(path);
  writeNewFileNow(temporary, bytes);
  try {
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
}

/**
 * Receive a body in full, hashing it: in memory up to IN_MEMORY_BODY_BYTES, beyond that into a new temporary file
 * beside `objectPath`, written chunk by chunk as they arrive. A body that fails (a client gone halfway) leaves no file.
 */
async function receiveBody(content: Buffer | Readable, objectPath: string): Promise<ReceivedBody> {
  const hash = createHash('md5');
  const chunks: Buffer[] = [];
  let size = 0;
  let spilled: { path: string; fd: number } | undefined;
  try {
    for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      hash.update(bytes);
      size += bytes.byteLength;
      if (!spilled && size > IN_MEMORY_BODY_BYTES) {
        const path = temporaryPathFor(objectPath);
        spilled = { path, fd: createExclusively(path) };
        for (const earlier of chunks.splice(0)) writeAll(spilled.fd, earlier);
      }
      if (spilled) writeAll(spilled.fd, bytes);
      else chunks.push(bytes);
    }
  } catch (error) {
    if (spilled) {
      closeSync(spilled.fd);
      removeQuietly(spilled.path);
    }
    throw error;
  }
  const md5 = hash.digest('hex');
  if (!spilled) return { bytes: Buffer.concat(chunks, size), size, md5 };
  closeSync(spilled.fd);
  return { temporaryFile: spilled.path, size, md5 };
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
  // the ETag from the metadata file (or, for objects stored without it, the .md5 file, recreated when missing).
  function metadataOf(paths: ObjectPaths, stats: Stats): { metadata: S3rverMetadata; stored: S3rverMetadata | null } {
    const json = readOrUndefined(paths.metadata);
    const { etag: storedETag, ...stored } = json === undefined ? {} : (JSON.parse(json) as S3rverMetadata);
    let etag = typeof storedETag === 'string' ? storedETag : undefined;
    if (etag === undefined) {
      let md5 = readOrUndefined(paths.md5);
      if (md5 === undefined) {
        md5 = createHash('md5').update(readFileSync(paths.object)).digest('hex');
        const temporary = temporaryPathFor(paths.md5);
        writeNewFileNow(temporary, Buffer.from(md5));
        renameSync(temporary, paths.md5);
      }
      etag = JSON.stringify(md5);
    }
    return {
      metadata: { ...stored, etag, 'last-modified': stats.mtime.toUTCString(), 'content-length': stats.size },
      // A file holding only the ETag stands for no stored headers, as no file does.
      stored: json === undefined || Object.keys(stored).length === 0 ? null : stored,
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
      const { metadata, stored } = metadataOf(paths, fstatSync(fd));
      return { fd, metadata, stored };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  // Put an object's metadata and body in place as one step for every reader, and (for a copy, which answers with it)
  // describe the result in that same step. `precondition` (a conditional PUT) is checked against the current object
  // first. The metadata goes first and the object last, so an object never exists without its metadata. A new object
  // is written under its name at once; one replacing another is renamed over it (a reader keeps the version it
  // opened). A temporary file not moved (the precondition failed) is removed.
  function publish(paths: ObjectPaths, object: PublishedObject): void;
  function publish(paths: ObjectPaths, object: PublishedObject, describe: 'describe'): S3rverMetadata;
  function publish(paths: ObjectPaths, object: PublishedObject, describe?: 'describe'): S3rverMetadata | void {
    const { body } = object;
    try {
      if (object.precondition) object.precondition(currentETag(paths));
      const metadataJson = JSON.stringify({ ...(object.metadata ?? {}), etag: object.etag }, null, 2);
      writeFileNow(paths.metadata, Buffer.from(metadataJson));
      // An .md5 file of an earlier version (s3rver's own) would contradict the ETag above for s3rver itself.
      removeQuietly(paths.md5);
      if (body && 'bytes' in body) writeObjectNow(paths.object, body.bytes);
      else if (body) renameSync(body.temporaryFile, paths.object);
      if (describe) return metadataOf(paths, statSync(paths.object)).metadata;
    } catch (error) {
      if (body && 'temporaryFile' in body) removeQuietly(body.temporaryFile);
      throw error;
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
    const paths = pathsOf(bucket, key);
    const etag = md5 !== undefined ? JSON.stringify(md5) : currentETag(paths);
    if (etag === undefined) throw Object.assign(new Error(`ENOENT: no such object ${bucket}/${key}`), { code: 'ENOENT' });
    publish(paths, { etag, metadata: storableMetadata(metadata) });
  };

  store.existsObject = async (bucket, key) => {
    try {
      statSync(pathsOf(bucket, key).object);
      return true;
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return false;
      throw error;
    }
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
    // The body is read in full before any precondition answers, so a refused PUT never leaves it unread on the socket.
    const body = await receiveBody(object.content ?? Buffer.alloc(0), paths.object);
    if (precondition.ifNoneMatch !== undefined && precondition.ifNoneMatch !== '*') {
      if ('temporaryFile' in body) removeQuietly(body.temporaryFile);
      throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
    }
    const conditional = precondition.ifMatch !== undefined || precondition.ifNoneMatch !== undefined;
    publish(paths, {
      body,
      etag: JSON.stringify(body.md5),
      metadata: storableMetadata(object.metadata),
      ...(conditional ? { precondition: (etag: string | undefined) => checkWritePrecondition(precondition, object.key, etag) } : {}),
    });
    return { size: body.size, md5: body.md5 };
  };

  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const source = pathsOf(srcBucket, srcKey);
    const destination = pathsOf(destBucket, destKey);
    if (source.object === destination.object) {
      // A copy onto itself (s3rver allows it only with REPLACE) keeps the bytes and their ETag and swaps the metadata.
      const current = snapshot(destination);
      if (!current) throw Object.assign(new Error(`ENOENT: no such object ${srcBucket}/${srcKey}`), { code: 'ENOENT' });
      closeSync(current.fd);
      const metadata = replacementMetadata ? storableMetadata(replacementMetadata) : current.stored;
      return publish(destination, { etag: String(current.metadata.etag), metadata }, 'describe');
    }
    const taken = snapshot(source);
    if (!taken) throw Object.assign(new Error(`ENOENT: no such object ${srcBucket}/${srcKey}`), { code: 'ENOENT' });
    const sourceBytes = createReadStream('', { fd: taken.fd, autoClose: true });
    try {
      const body = await receiveBody(sourceBytes, destination.object);
      // Without REPLACE the copy keeps the source's stored metadata (none stays none).
      const metadata = replacementMetadata ? storableMetadata(replacementMetadata) : taken.stored;
      return publish(destination, { body, etag: JSON.stringify(body.md5), metadata }, 'describe');
    } finally {
      sourceBytes.destroy();
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
