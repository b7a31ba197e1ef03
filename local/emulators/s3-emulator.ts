import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { startEmulatorThread, type EmulatorThread } from './emulator-thread';
import type { S3rverServerOptions, S3rverThreadMessage } from './s3-emulator-server';

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
   * each PUT, POST and COPY, of every key unless `notifyPrefix` says otherwise.
   */
  onEvent?: (event: S3Event) => void;
  /**
   * Notify only objects whose keys start with this, as a bucket's notification configuration filters by prefix (the
   * stack's bucket notifies `incoming/` only). PUTs of other keys are then answered at once, without waiting for
   * `onEvent`'s thread. Default: every key.
   */
  notifyPrefix?: string;
  /**
   * Check each POST Object upload (a presigned POST form) against its policy and signature as S3 does (see
   * s3-post-policy.ts): default true. False stores any form, as s3rver alone does.
   */
  enforcePostPolicy?: boolean;
}

/**
 * Start s3rver (dev and test only) in a worker thread of its own (s3-emulator-server.ts), so its work runs beside this
 * thread's as S3 runs beside a Lambda function, on 127.0.0.1, with the buckets created.
 * Path-style only: virtual-host buckets would need DNS for `<bucket>.127.0.0.1`. Object writes are atomic and
 * read-after-write consistent like S3's: a GET never sees a half-written object (see s3rver-consistency.ts). A POST
 * upload is stored only when its policy (size range, key, Content-Type...), signature and expiry allow it, as in S3
 * (see s3-post-policy.ts). `onEvent` runs in this thread, in the order s3rver emitted the events, and before the
 * request that caused one is answered.
 */
export async function startS3Emulator(options: S3EmulatorOptions): Promise<S3Emulator> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'waferwatch-s3-')));
  const host = options.host ?? '127.0.0.1';
  const onEvent = options.onEvent;
  let running: EmulatorThread<{ port: number }>;
  try {
    running = await startEmulatorThread<S3rverServerOptions, { port: number }>({
      name: 'S3 emulator (s3rver)',
      module: new URL('./s3-emulator-server.ts', import.meta.url),
      exportName: 'serveS3rver',
      options: {
        buckets: options.buckets,
        directory,
        host,
        port: options.port ?? 0,
        enforcePostPolicy: options.enforcePostPolicy !== false,
        notify: onEvent !== undefined,
        ...(options.notifyPrefix !== undefined ? { notifyPrefix: options.notifyPrefix } : {}),
      },
      ...(onEvent
        ? {
            onMessage: (message: unknown, reply: (message: unknown) => void) => {
              const received = message as S3rverThreadMessage;
              if (received.kind !== 's3-event') return;
              try {
                onEvent(received.event);
              } catch (error) {
                // As an exception in a listener of an in-process emitter would not, this one must not bring the thread down.
                console.error('S3 emulator (s3rver): onEvent threw:', error);
              } finally {
                // The request that caused it is answered once this is back in its thread.
                reply({ kind: 's3-event-taken', seq: received.seq } satisfies S3rverThreadMessage);
              }
            },
          }
        : {}),
    });
  } catch (error) {
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    endpoint: `http://${host}:${running.ready.port}`,
    directory,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await running.close();
      } finally {
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
