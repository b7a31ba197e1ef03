import type { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import S3rver from 's3rver';
import { enforcePostPolicy } from './s3-post-policy';
import { makeS3rverStoreConsistent } from './s3rver-consistency';

/** A running s3rver and how to reach it. */
export interface S3Emulator {
  /** Endpoint URL for an S3 client with forcePathStyle (see functions/adapters/aws-clients.ts). */
  endpoint: string;
  /** Where s3rver keeps the objects. */
  directory: string;
  /** Stop s3rver; removes the directory when the emulator created it. */
  close(): Promise<void>;
}

export interface S3EmulatorOptions {
  /** Buckets to create before the first request. */
  buckets: string[];
  /** Keep objects here (e.g. across local restarts); defaults to a fresh temp directory removed on close. */
  directory?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Called with each S3 event notification: s3rver 3.7 emits one (a single record, shaped as S3 sends it) after
   * each PUT, POST and COPY, unfiltered.
   */
  onEvent?: (event: S3Event) => void;
  /**
   * Check each POST Object upload (a presigned POST form) against its policy and signature as S3 does (see
   * s3-post-policy.ts): default true. False stores any form, as s3rver alone does.
   */
  enforcePostPolicy?: boolean;
}

/**
 * Start s3rver in-process (dev and test only) on 127.0.0.1, with the buckets created.
 * Path-style only: virtual-host buckets would need DNS for `<bucket>.127.0.0.1`. Object writes are atomic and
 * read-after-write consistent like S3's: a GET never sees a half-written object (see s3rver-consistency.ts). A POST
 * upload is stored only when its policy (size range, key, Content-Type...), signature and expiry allow it, as in S3
 * (see s3-post-policy.ts).
 */
export async function startS3Emulator(options: S3EmulatorOptions): Promise<S3Emulator> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'waferwatch-s3-')));
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  // Real S3 PUTs are atomic and read-after-write consistent; s3rver's own store is neither (see s3rver-consistency.ts).
  makeS3rverStoreConsistent(server.store);
  // S3 refuses a POST upload its policy does not allow; s3rver alone stores any form (see s3-post-policy.ts).
  if (options.enforcePostPolicy !== false) enforcePostPolicy(server);
  if (options.onEvent) (server as unknown as EventEmitter).on('event', options.onEvent);
  const address = await server.run();
  let closed = false;
  return {
    endpoint: `http://${host}:${address.port}`,
    directory,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
