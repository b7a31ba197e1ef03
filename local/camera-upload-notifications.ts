import type { S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** The deployed processCameraUpload entry: SQS messages whose bodies are S3 event notifications. */
export type CameraUploadQueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The keys the bucket notifies, as serverless.yml configures it: camera uploads under incoming/. */
export const NOTIFIED_PREFIX = 'incoming/';

/** Delivers S3 notifications to the camera upload processor, standing in for S3 -> SQS -> Lambda. */
export interface CameraUploadDelivery {
  /** Hand over one S3 event; only ObjectCreated under incoming/ of the bucket is delivered, as the bucket is configured. */
  notify(event: S3Event): void;
  /** Plug in the processor once its module is loaded (events before that wait for it); undefined drops them all. */
  attach(handler: CameraUploadQueueHandler | undefined): void;
  /** Resolves when every delivery so far is done (processed, or out of tries). */
  idle(): Promise<void>;
  /** Stop redelivering and wait for the delivery in progress: the services are about to close. */
  close(): Promise<void>;
}

/**
 * One delivery at a time, in arrival order, each wrapped in an SQS message as the queue hands it to Lambda. A
 * message reported as a batch item failure is redelivered after `retryDelayMs` (doubling), at most `maxReceives`
 * times in all, like the queue's redrive policy; then it is logged as dead-lettered and the object stays in incoming/.
 */
export function createCameraUploadDelivery(options: {
  bucket: string;
  log: (line: string) => void;
  maxReceives?: number;
  retryDelayMs?: number;
}): CameraUploadDelivery {
  const maxReceives = options.maxReceives ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  let handler: CameraUploadQueueHandler | undefined;
  let attached: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    attached = resolve;
  });
  let chain: Promise<void> = Promise.resolve();
  let messages = 0;
  let stopped = false;

  const deliver = async (event: S3Event, key: string) => {
    await ready;
    if (!handler || stopped) return;
    const messageId = `local-${(messages += 1)}`;
    for (let receive = 1; receive <= maxReceives; receive += 1) {
      const record = {
        messageId,
        receiptHandle: messageId,
        body: JSON.stringify(event),
        attributes: { ApproximateReceiveCount: String(receive) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:local-camera-uploads',
        awsRegion: 'us-east-1',
      } as unknown as SQSRecord;
      let failed: boolean;
      try {
        const response = await handler({ Records: [record] });
        failed = (response?.batchItemFailures ?? []).length > 0;
      } catch (error) {
        failed = true;
        options.log(`processCameraUpload threw on ${key}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!failed || stopped) return;
      if (receive < maxReceives) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (receive - 1)));
    }
    options.log(`camera upload ${key} failed ${maxReceives} times; dead-lettered (the object stays in incoming/)`);
  };

  return {
    notify(event) {
      const record = event.Records?.[0];
      const key = record?.s3?.object?.key ?? '';
      if (!record?.eventName?.startsWith('ObjectCreated') || record.s3.bucket.name !== options.bucket || !decodeURIComponent(key).startsWith(NOTIFIED_PREFIX))
        return;
      // Real S3 sends its notifications asynchronously, after the upload has been answered.
      chain = chain.then(() => deliver(event, key)).catch((error: unknown) => options.log(`camera upload delivery failed: ${String(error)}`));
    },
    attach(next) {
      handler = next;
      attached();
    },
    idle,
    async close() {
      stopped = true;
      attached();
      await idle();
    },
  };

  async function idle(): Promise<void> {
    // Deliveries may be queued while waiting, so wait until the chain stops growing.
    let seen: Promise<void>;
    do {
      seen = chain;
      await seen;
    } while (seen !== chain);
  }
}
