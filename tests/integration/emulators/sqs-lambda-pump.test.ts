import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SqsEmulator } from '../../../local/emulators/sqs-emulator';
import { pumpQueueToHandler, startQueuePump, toSqsEvent, type SqsBatchHandler } from '../../../local/emulators/sqs-lambda-pump';

// In-process only: the pump stands in for the Lambda event source mapping, so no HTTP is needed.
const T0 = Date.parse('2026-11-26T12:00:00Z');

function setUp(options: { maxReceiveCount?: number; visibilityTimeout?: number } = {}) {
  let now = T0;
  const emulator = new SqsEmulator({ now: () => now, region: 'eu-west-1' });
  const dlq = emulator.createQueue('alerts-dlq');
  const queue = emulator.createQueue('alerts', {
    VisibilityTimeout: String(options.visibilityTimeout ?? 60),
    ...(options.maxReceiveCount
      ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: emulator.queueArn(dlq), maxReceiveCount: options.maxReceiveCount }) }
      : {}),
  });
  return { emulator, queue, dlq, advance: (ms: number) => (now += ms) };
}

/** A handler that records every event and fails the bodies listed in `failing`. */
function recordingHandler(failing: Set<string> = new Set()) {
  const events: SQSEvent[] = [];
  const handler: SqsBatchHandler = async (event) => {
    events.push(event);
    return { batchItemFailures: event.Records.filter((record) => failing.has(record.body)).map((record) => ({ itemIdentifier: record.messageId })) };
  };
  return { events, handler };
}

describe('toSqsEvent', () => {
  it('builds the SQSRecord Lambda would deliver', () => {
    // Prepare
    const { emulator, queue } = setUp();
    emulator.sendMessage(queue, '{"inspectionId":"i-1"}', {
      messageAttributes: { stationId: { DataType: 'String', StringValue: 'litho-7' }, mask: { DataType: 'Binary', BinaryValue: new Uint8Array([7]) } },
    });
    const [message] = emulator.receive(queue);

    // Act
    const event = toSqsEvent(message ? [message] : [], emulator.queueArn(queue), 'eu-west-1');

    // Assess
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toEqual({
      messageId: message?.messageId,
      receiptHandle: message?.receiptHandle,
      body: '{"inspectionId":"i-1"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(T0),
        SenderId: 'AIDAEMULATEDSENDER',
        ApproximateFirstReceiveTimestamp: String(T0),
      },
      messageAttributes: {
        stationId: { dataType: 'String', stringValue: 'litho-7', stringListValues: [], binaryListValues: [] },
        mask: { dataType: 'Binary', binaryValue: 'Bw==', stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: message?.md5OfBody,
      md5OfMessageAttributes: message?.md5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:alerts',
      awsRegion: 'eu-west-1',
    });
  });
});

describe('pumpQueueToHandler', () => {
  it('delivers batches of at most batchSize, deletes the successes and leaves reported failures in flight', async () => {
    // Prepare
    const { emulator, queue } = setUp();
    for (const body of ['a', 'b', 'c', 'd', 'e']) emulator.sendMessage(queue, body);
    const { events, handler } = recordingHandler(new Set(['c']));

    // Act
    const report = await pumpQueueToHandler(emulator, queue, handler, { batchSize: 2 });

    // Assess
    expect(events.map((event) => event.Records.map((record) => record.body))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(report).toEqual({ batches: 3, received: 5, deleted: 4, failed: 1, handlerErrors: [] });
    expect(emulator.messages(queue).map((message) => [message.body, message.state])).toEqual([['c', 'in-flight']]);
  });

  it('redelivers a failed item after its visibility timeout, with the receive count raised', async () => {
    // Prepare
    const { emulator, queue, advance } = setUp({ visibilityTimeout: 60 });
    emulator.sendMessage(queue, 'flaky');
    const failing = new Set(['flaky']);
    const { events, handler } = recordingHandler(failing);
    await pumpQueueToHandler(emulator, queue, handler);

    // Act
    const tooEarly = await pumpQueueToHandler(emulator, queue, handler);
    advance(60_000);
    failing.clear();
    const redelivered = await pumpQueueToHandler(emulator, queue, handler);

    // Assess
    expect(tooEarly.received).toBe(0);
    expect(redelivered).toMatchObject({ received: 1, deleted: 1, failed: 0 });
    expect(events.map((event) => event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(emulator.messages(queue)).toEqual([]);
  });

  it('fails the whole batch when the handler throws or names an item that is not in the batch', async () => {
    // Prepare
    const { emulator, queue } = setUp();
    emulator.sendMessage(queue, 'x');
    emulator.sendMessage(queue, 'y');
    const crash = new Error('handler crashed');

    // Act
    const thrown = await pumpQueueToHandler(emulator, queue, async () => {
      throw crash;
    });
    const fresh = setUp();
    fresh.emulator.sendMessage(fresh.queue, 'x');
    fresh.emulator.sendMessage(fresh.queue, 'y');
    const invalid = await pumpQueueToHandler(fresh.emulator, fresh.queue, async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }));

    // Assess
    expect(thrown).toEqual({ batches: 1, received: 2, deleted: 0, failed: 2, handlerErrors: [crash] });
    expect(invalid).toMatchObject({ received: 2, deleted: 0, failed: 2 });
    expect(fresh.emulator.messages(fresh.queue).map((message) => message.state)).toEqual(['in-flight', 'in-flight']);
  });

  it('ignores the response when ReportBatchItemFailures is off, like a mapping without it', async () => {
    // Prepare
    const { emulator, queue } = setUp();
    emulator.sendMessage(queue, 'x');
    const { handler } = recordingHandler(new Set(['x']));

    // Act
    const report = await pumpQueueToHandler(emulator, queue, handler, { reportBatchItemFailures: false });

    // Assess
    expect(report).toMatchObject({ deleted: 1, failed: 0 });
  });

  it('lets the redrive policy move a message that keeps failing to the dead-letter queue', async () => {
    // Prepare
    const { emulator, queue, dlq, advance } = setUp({ maxReceiveCount: 3, visibilityTimeout: 30 });
    emulator.sendMessage(queue, 'poison');
    emulator.sendMessage(queue, 'fine');
    const { events, handler } = recordingHandler(new Set(['poison']));

    // Act
    for (let round = 0; round < 4; round += 1) {
      await pumpQueueToHandler(emulator, queue, handler);
      advance(30_000);
    }

    // Assess
    expect(events.flatMap((event) => event.Records.map((record) => record.body))).toEqual(['poison', 'fine', 'poison', 'poison']);
    expect(emulator.messages(queue)).toEqual([]);
    expect(emulator.messages(dlq).map((message) => [message.body, message.receiveCount, message.deadLetterQueueSourceArn])).toEqual([
      ['poison', 3, emulator.queueArn(queue)],
    ]);
  });

  it('delivers the same message twice on demand (at-least-once), and both deletes succeed', async () => {
    // Prepare
    const { emulator, queue } = setUp();
    emulator.sendMessage(queue, 'alert for i-1');
    emulator.duplicateNextDeliveries(1);
    const { events, handler } = recordingHandler();

    // Act
    const report = await pumpQueueToHandler(emulator, queue, handler);

    // Assess
    const deliveries = events.flatMap((event) => event.Records);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]?.messageId).toBe(deliveries[0]?.messageId);
    expect(deliveries[1]?.receiptHandle).not.toBe(deliveries[0]?.receiptHandle);
    expect(deliveries.map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(report).toMatchObject({ received: 2, deleted: 2, failed: 0 });
    expect(emulator.messages(queue)).toEqual([]);
  });

  it('stops after maxBatches when a handler keeps failing on a queue without redrive and no visibility timeout', async () => {
    // Prepare
    const { emulator, queue } = setUp({ visibilityTimeout: 0 });
    emulator.sendMessage(queue, 'x');

    // Act
    const report = await pumpQueueToHandler(emulator, queue, recordingHandler(new Set(['x'])).handler, { maxBatches: 5 });

    // Assess
    expect(report).toMatchObject({ batches: 5, received: 5, failed: 5 });
  });
});

describe('startQueuePump', () => {
  it('keeps polling in the background until stopped, and says when the queue is drained', async () => {
    // Prepare
    const { emulator, queue } = setUp();
    const { events, handler } = recordingHandler();
    const pump = startQueuePump(emulator, queue, handler, { intervalMs: 10 });

    // Act
    emulator.sendMessage(queue, 'first');
    await pump.whenIdle();
    emulator.sendMessage(queue, 'second');
    await pump.whenIdle();
    await pump.stop();
    emulator.sendMessage(queue, 'after stop');
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(events.flatMap((event) => event.Records.map((record) => record.body))).toEqual(['first', 'second']);
    expect(pump.totals()).toMatchObject({ received: 2, deleted: 2, failed: 0 });
    expect(emulator.messages(queue).map((message) => message.body)).toEqual(['after stop']);
  });
});
