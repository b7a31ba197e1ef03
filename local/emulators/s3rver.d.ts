// s3rver ships no types; this declares the part the S3 emulator uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { Readable } from 'node:stream';

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
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<S3rverMetadata>;
    putMetadata(bucket: string, key: string, metadata: S3rverMetadata, md5?: string): Promise<void>;
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<S3rverObject | null>;
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
    copyObject(
      srcBucket: string,
      srcKey: string,
      destBucket: string,
      destKey: string,
      replacementMetadata: S3rverMetadata | null,
    ): Promise<S3rverMetadata>;
    deleteObject(bucket: string, key: string): Promise<void>;
    listObjects(bucket: string, options: Record<string, unknown>): Promise<unknown>;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** The FilesystemStore every request goes through (also reachable as `ctx.store` in the controllers). */
    readonly store: S3rverFilesystemStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
