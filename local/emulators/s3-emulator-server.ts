import type { EventEmitter } from 'node:events';
import type { S3Event } from 'aws-lambda';
import S3rver from 's3rver';
import type { ServedEmulator, ThreadHost } from './emulator-thread';
import { enforcePostPolicy } from './s3-post-policy';
import { makeS3rverStoreConsistent } from './s3rver-consistency';

/** What startS3Emulator hands to the worker thread (s3-emulator.ts). */
export interface S3rverServerOptions {
  buckets: string[];
  directory: string;
  host: string;
  port: number;
  enforcePostPolicy: boolean;
  /** Post each S3 event notification to the host, and answer the request only once the host has taken it. */
  notify: boolean;
  /** With `notify`: only for keys starting with this (a bucket's notification prefix filter); all keys when unset. */
  notifyPrefix?: string;
}

/** Messages between the thread running s3rver and the host: each notification, and the host's receipt of it. */
export type S3rverThreadMessage = { kind: 's3-event'; seq: number; event: S3Event } | { kind: 's3-event-taken'; seq: number };

/**
 * Run s3rver in this thread (startS3Emulator runs it in a worker thread) with the consistency and POST-policy wrappers.
 *
 * Notifications: s3rver emits its event in the controller, before it answers, so in-process a caller saw the event
 * before the answer. Across threads the two would race (the answer on a socket, the event as a message), so with
 * `notify` a request that emitted one is answered only once the host has handed it to its `onEvent` and said so:
 * whoever gets the answer can rely on the notification having been delivered (a test waiting for the camera upload it
 * just stored, say).
 */
export async function serveS3rver(options: S3rverServerOptions, host: ThreadHost): Promise<ServedEmulator<{ port: number }>> {
  const server = new S3rver({
    address: options.host,
    port: options.port,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  // Real S3 PUTs are atomic and read-after-write consistent; s3rver's own store is neither (see s3rver-consistency.ts).
  makeS3rverStoreConsistent(server.store);
  // S3 refuses a POST upload its policy does not allow; s3rver alone stores any form (see s3-post-policy.ts).
  if (options.enforcePostPolicy) enforcePostPolicy(server);
  if (options.notify) {
    let posted = 0;
    let taken = 0;
    const waiting = new Set<{ seq: number; resolve: () => void }>();
    const prefix = options.notifyPrefix ?? '';
    (server as unknown as EventEmitter).on('event', (event: S3Event) => {
      // The key as the notification carries it (S3 URL-encodes it, s3rver does not): a prefix of letters, digits and
      // '/' reads the same either way.
      if (!(event.Records[0]?.s3.object.key ?? '').startsWith(prefix)) return;
      posted += 1;
      host.post({ kind: 's3-event', seq: posted, event } satisfies S3rverThreadMessage);
    });
    host.onMessage((message) => {
      const received = message as S3rverThreadMessage;
      if (received.kind !== 's3-event-taken') return;
      taken = Math.max(taken, received.seq);
      for (const waiter of waiting) {
        if (waiter.seq > taken) continue;
        waiting.delete(waiter);
        waiter.resolve();
      }
    });
    // Outermost, so Koa sends the answer only after this resolves (the events are emitted synchronously in the controller).
    server.middleware.unshift(async (_ctx, next) => {
      const before = posted;
      try {
        await next();
      } finally {
        const seq = posted;
        if (seq > before && seq > taken) await new Promise<void>((resolve) => waiting.add({ seq, resolve }));
      }
    });
  }
  const address = await server.run();
  return { ready: { port: address.port }, close: () => server.close() };
}
