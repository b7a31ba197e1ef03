import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  RequestThrottled,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../../functions/adapters/aws-clients';
import { SqsEmulator } from '../../../local/emulators/sqs-emulator';

// The real SDK client (the factory the functions will use) against the emulator over HTTP.
let clock = Date.parse('2026-11-26T12:00:00Z');
const emulator = new SqsEmulator({ now: () => clock });
let sqs: SQSClient;
let unique = 0;

async function freshQueue(attributes?: Record<string, string>, suffix = ''): Promise<string> {
  unique += 1;
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${unique}${suffix}`, ...(attributes ? { Attributes: attributes } : {}) }));
  return created.QueueUrl as string;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  await emulator.start();
  sqs = createSqsClient({ region: 'us-east-1', endpoint: emulator.endpoint });
});

afterAll(async () => {
  sqs?.destroy();
  await emulator.close();
});

beforeEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});

describe('SQS emulator, wire protocol', () => {
  it('speaks AWS JSON 1.0: POST / with X-Amz-Target AmazonSQS.<Operation> and the query-compatible mode header', async () => {
    // Act
    await freshQueue();

    // Assess
    const [request] = emulator.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/');
    expect(request?.headers['x-amz-target']).toBe('AmazonSQS.CreateQueue');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request?.headers['x-amzn-query-mode']).toBe('true');
  });

  it('creates queues idempotently, finds them by name, and refuses the same name with other attributes', async () => {
    // Prepare
    const url = await freshQueue({ VisibilityTimeout: '45' });
    const name = url.split('/').at(-1) as string;

    // Act
    const again = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const conflict = await caught(sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } })));

    // Assess
    expect(url).toBe(`${emulator.endpoint}/000000000000/${name}`);
    expect(again.QueueUrl).toBe(url);
    expect(found.QueueUrl).toBe(url);
    expect(conflict).toBeInstanceOf(QueueNameExists);
  });

  it('sends and receives body, message attributes and system attributes; the SDK accepts the MD5s', async () => {
    // Prepare
    const url = await freshQueue();
    const body = JSON.stringify({ inspectionId: '01JD0000000000000000000000', stationId: 'litho-7', confidence: 0.97 });

    // Act
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: {
          inspectionId: { DataType: 'String', StringValue: '01JD0000000000000000000000' },
          confidence: { DataType: 'Number', StringValue: '0.97' },
          mask: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );

    // Assess
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(received.Messages).toHaveLength(1);
    const [message] = received.Messages ?? [];
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe(body);
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SentTimestamp: String(clock) });
    expect(message?.MessageAttributes?.inspectionId).toEqual({ DataType: 'String', StringValue: '01JD0000000000000000000000' });
    expect(message?.MessageAttributes?.confidence).toEqual({ DataType: 'Number', StringValue: '0.97' });
    expect(Array.from(message?.MessageAttributes?.mask?.BinaryValue ?? [])).toEqual([1, 2, 3]);
  });

  it('returns only the attributes asked for, as SQS does', async () => {
    // Prepare
    const url = await freshQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '1' } } }));

    // Act
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));

    // Assess
    expect(received.Messages?.[0]?.Attributes).toBeUndefined();
    expect(received.Messages?.[0]?.MessageAttributes).toBeUndefined();
  });

  it('hides a received message for its visibility timeout, counts receives, and reports the counts in GetQueueAttributes', async () => {
    // Prepare
    const url = await freshQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));

    // Act
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const counts = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'] }),
    );
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    clock += 30_000;
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );

    // Assess
    expect(first.Messages?.map((message) => message.Body)).toEqual(['one']);
    expect(counts.Attributes).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${url.split('/').at(-1)}`,
    });
    expect(second.Messages?.map((message) => message.Body)).toEqual(['two']);
    expect(empty.Messages ?? []).toEqual([]);
    expect(again.Messages?.map((message) => [message.Body, message.Attributes?.ApproximateReceiveCount])).toEqual([
      ['one', '2'],
      ['two', '2'],
    ]);
  });

  it('deletes by receipt handle, changes visibility only of a message in flight, and rejects unknown handles with typed errors', async () => {
    // Prepare
    const url = await freshQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const firstHandle = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.ReceiptHandle as string;

    // Act
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: firstHandle, VisibilityTimeout: 0 }));
    const notInFlight = await caught(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: firstHandle, VisibilityTimeout: 10 })));
    const secondHandle = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.ReceiptHandle as string;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: secondHandle }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: secondHandle }));
    const invalid = await caught(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' })));

    // Assess
    expect(notInFlight).toBeInstanceOf(MessageNotInflight);
    expect(invalid).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect(emulator.messages(url)).toEqual([]);
  });

  it('maps errors to the SDK typed exceptions via __type and x-amzn-query-error, and unmodelled ones to their code', async () => {
    // Prepare
    const url = await freshQueue();

    // Act
    const missing = await caught(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
    const tooMany = await caught(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })));

    // Assess
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
    expect((missing as QueueDoesNotExist).message).toBe('The specified queue does not exist.');
    expect(tooMany).toBeInstanceOf(SQSServiceException);
    expect((tooMany as SQSServiceException).name).toBe('InvalidParameterValue');
    expect(emulator.requests().map((request) => request.status)).toEqual([200, 400, 400]);
  });

  it('injects faults: the SDK retries a 503 by itself and surfaces throttling once its attempts are spent', async () => {
    // Prepare
    const url = await freshQueue();
    emulator.failNext(1, 'ServiceUnavailable');
    const noRetry = new SQSClient({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });

    // Act
    const retried = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after a 503' }));
    emulator.failNext(1, 'RequestThrottled');
    const throttled = await caught(noRetry.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'throttled' })));
    noRetry.destroy();

    // Assess
    expect(retried.MessageId).toBeDefined();
    expect(throttled).toBeInstanceOf(RequestThrottled);
    expect(emulator.messages(url).map((message) => message.body)).toEqual(['after a 503']);
    expect(
      emulator
        .requests()
        .filter((request) => request.headers['x-amz-target'] === 'AmazonSQS.SendMessage')
        .map((request) => request.status),
    ).toEqual([503, 200, 403]);
  });

  it('moves a message received more than maxReceiveCount times to the dead-letter queue, with its source', async () => {
    // Prepare
    const dlq = await freshQueue();
    const dlqArn = emulator.queueArn(dlq);
    const url = await freshQueue();
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) } }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));

    // Act
    const receives: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      receives.push(received.Messages?.length ?? 0);
    }
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ['All'] }));

    // Assess
    expect(receives).toEqual([1, 1, 0]);
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['poison']);
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(emulator.queueArn(url));
    expect(emulator.messages(url)).toEqual([]);
  });

  it('refuses a redrive policy whose dead-letter queue does not exist', async () => {
    // Prepare
    const url = await freshQueue();

    // Act
    const refused = await caught(
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope', maxReceiveCount: 3 }) },
        }),
      ),
    );

    // Assess
    expect(refused).toBeInstanceOf(SQSServiceException);
    expect((refused as SQSServiceException).name).toBe('InvalidAttributeValue');
  });

  it('long-polls: WaitTimeSeconds returns as soon as a message arrives', async () => {
    // Prepare
    const url = await freshQueue();
    setTimeout(() => emulator.sendMessage(url, 'late'), 100);
    const started = Date.now();

    // Act
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2 }));

    // Assess
    expect(received.Messages?.map((message) => message.Body)).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('de-duplicates FIFO sends by MessageDeduplicationId and refuses one on a standard queue', async () => {
    // Prepare
    const fifo = await freshQueue({ FifoQueue: 'true' }, '.fifo');
    const standard = await freshQueue();

    // Act
    const first = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'a', MessageGroupId: 'litho-7', MessageDeduplicationId: 'insp-1' }));
    const duplicate = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'a', MessageGroupId: 'litho-7', MessageDeduplicationId: 'insp-1' }));
    const refused = await caught(sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'a', MessageDeduplicationId: 'insp-1' })));
    const grouped = await sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'b', MessageGroupId: 'litho-7' }));

    // Assess
    expect(duplicate.MessageId).toBe(first.MessageId);
    expect(emulator.messages(fifo)).toHaveLength(1);
    expect((refused as SQSServiceException).name).toBe('InvalidParameterValue');
    expect(emulator.messages(standard).map((message) => [message.body, message.messageGroupId])).toEqual([['b', 'litho-7']]);
    expect(grouped.MessageId).toBeDefined();
  });
});

describe('SQS emulator persistence (a restarted local stack keeps its queues)', () => {
  it('keeps delayed and in-flight messages across a restart, each becoming visible when it would have', async () => {
    // Prepare: a delayed timer and a received (in-flight) message, then the process stops
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-sqs-'));
    const file = path.join(folder, 'sqs.json');
    let now = Date.parse('2026-11-26T12:00:00Z');
    const first = new SqsEmulator({ now: () => now, persistTo: file });
    await first.start();
    const queueUrl = first.createQueue('alerts', { VisibilityTimeout: '60' });
    first.sendMessage(queueUrl, '{"kind":"escalate"}', { delaySeconds: 120, messageAttributes: { kind: { DataType: 'String', StringValue: 'escalate' } } });
    first.sendMessage(queueUrl, '{"kind":"alert"}');
    const [received] = first.receive(queueUrl);
    await first.close();

    // Act: a new process (a new emulator) over the same file
    const second = new SqsEmulator({ now: () => now, persistTo: file });
    await second.start();
    const again = second.createQueue('alerts', { VisibilityTimeout: '60' });
    const right = second.receive(again, { maxNumberOfMessages: 10 });
    now += 61_000;
    const afterVisibility = second.receive(again, { maxNumberOfMessages: 10 });
    now += 60_000;
    const afterDelay = second.receive(again, { maxNumberOfMessages: 10 });
    await second.close();
    await rm(folder, { recursive: true, force: true });

    // Assess
    expect(received?.body).toBe('{"kind":"alert"}');
    expect(right).toEqual([]);
    expect(afterVisibility.map((message) => [message.body, message.attributes.ApproximateReceiveCount])).toEqual([['{"kind":"alert"}', '2']]);
    // By then the alert's second visibility timeout has also run out: both are delivered.
    expect(afterDelay.map((message) => [message.body, message.messageAttributes.kind?.StringValue ?? null]).sort()).toEqual([
      ['{"kind":"alert"}', null],
      ['{"kind":"escalate"}', 'escalate'],
    ]);
  });
});
