// s3rver ships no types; this declares the part the S3 emulator uses.
declare module 's3rver' {
  import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
  import type { AddressInfo } from 'node:net';
  import type { Readable } from 'node:stream';

  /** The part of a Koa context (s3rver is a Koa app) a middleware in front of s3rver's routes uses. */
  export interface S3rverContext {
    method: string;
    /** The URL path, without the query. */
    path: string;
    /** The query string without `?` ('' when none). */
    querystring: string;
    headers: IncomingHttpHeaders;
    /** Node's request; s3rver's POST Object controller reads the form with `ctx.req.pipe(busboy)`. */
    req: IncomingMessage;
  }

  export type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    vhostBuckets?: boolean;
    allowMismatchedSignatures?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  /** Object metadata as s3rver keeps it: lower-case header names (content-type, x-amz-meta-*, etag, ...). */
  export type S3rverMetadata = Record<string, string | number | undefined>;

  /** lib/models/object.js: what the store hands to and takes from the controllers. */
  export interface S3rverObject {
    bucket: string;
    key: string;
    /** A Buffer for form-field POSTs, a stream for PUT bodies, file uploads and multipart completion; null for HEAD-less metadata. */
    content: Buffer | Readable | null;
    metadata: S3rverMetadata;
    range?: { start: number; end: number };
    readonly size: number;
  }

  /** The object part of lib/stores/filesystem.js (3.7.1), whose methods the consistency patch replaces. */
  export interface S3rverFilesystemStore {
    rootDirectory: string;
    /** The bucket, or null when it does not exist. */
    getBucket(bucket: string): Promise<unknown>;
    /** A bucket's (or object's) stored configuration of `resourceType` (`cors`, `website`, `tagging`...), or null. */
    getSubresource(bucket: string, key: string | undefined, resourceType: string): Promise<unknown>;
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<S3rverMetadata>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    putMetadata(bucket: string, key: string, metadata: S3rverMetadata, md5?: string): Promise<void>;
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<S3rverObject | null>;
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
    copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata: S3rverMetadata | null): Promise<S3rverMetadata>;
    deleteObject(bucket: string, key: string): Promise<void>;
    listObjects(bucket: string, options: Record<string, unknown>): Promise<unknown>;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** The FilesystemStore every request goes through (also reachable as `ctx.store` in the controllers). */
    readonly store: S3rverFilesystemStore;
    /** Koa's middleware list (s3rver extends Koa); composed when run() starts listening. */
    readonly middleware: S3rverMiddleware[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
