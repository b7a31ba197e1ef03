import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  EmptyBatchRequest,
  InvalidBatchEntryId,
  ListMessageMoveTasksCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  ResourceNotFoundException,
  SendMessageBatchCommand,
  SQSServiceException,
  StartMessageMoveTaskCommand,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../../functions/adapters/aws-clients';
import { DEAD_LETTER_CODE_ATTRIBUTE, SqsAlertQueue } from '../../../functions/adapters/sqs/sqs-alert-queue';
import { COULD_NOT_DETERMINE_MESSAGE_SOURCE, SqsEmulator } from '../../../local/emulators/sqs-emulator';

// The real SDK client (the factory the functions use) against the emulator: the batch calls and dead-letter queue
// redrive (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask), answered as the SQS API reference
// documents them.
let clock = Date.parse('2026-11-26T12:00:00Z');
const emulator = new SqsEmulator({ now: () => clock });
let sqs: SQSClient;
let unique = 0;

/** A queue and its dead-letter queue (maxReceiveCount 1, so the second receive dead-letters a message). */
function queueWithDeadLetterQueue(maxReceiveCount = 1): { url: string; arn: string; dlqUrl: string; dlqArn: string } {
  unique += 1;
  const dlqUrl = emulator.createQueue(`redrive-${unique}-dlq`);
  const url = emulator.createQueue(`redrive-${unique}`, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: emulator.queueArn(dlqUrl), maxReceiveCount }) });
  return { url, arn: emulator.queueArn(url), dlqUrl, dlqArn: emulator.queueArn(dlqUrl) };
}

/** Receive a queue's messages with visibility 0 until the redrive policy has moved every one to the DLQ. */
function deadLetterEverything(url: string): void {
  for (let round = 0; round < 5 && emulator.messages(url).length > 0; round += 1)
    emulator.receive(url, { maxNumberOfMessages: 10, visibilityTimeoutSeconds: 0 });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function latestTask(sourceArn: string) {
  const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
  return listed.Results?.[0];
}

beforeAll(async () => {
  await emulator.start();
  sqs = createSqsClient({ region: 'us-east-1', endpoint: emulator.endpoint });
});

afterAll(async () => {
  sqs?.destroy();
  await emulator.close();
});

describe('SQS emulator: batch calls', () => {
  it('SendMessageBatch answers each entry in Successful or Failed (HTTP 200), and the SDK accepts the MD5s', async () => {
    // Prepare
    const url = emulator.createQueue(`batch-${++unique}`);

    // Act
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'first', MessageBody: '{"n":1}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'alert' } } },
          { Id: 'too-late', MessageBody: '{"n":2}', DelaySeconds: 901 },
          { Id: 'third_3', MessageBody: '{"n":3}' },
        ],
      }),
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));

    // Assess
    expect(sent.$metadata.httpStatusCode).toBe(200);
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['first', 'third_3']);
    expect(sent.Successful?.[0]).toMatchObject({
      MessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      MD5OfMessageBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      MD5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(sent.Failed).toEqual([{ Id: 'too-late', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.any(String) }]);
    expect(received.Messages?.map((message) => message.Body).sort()).toEqual(['{"n":1}', '{"n":3}']);
    expect(received.Messages?.find((message) => message.Body === '{"n":1}')?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'alert' });
  });

  it('refuses a whole batch with the documented errors: empty, more than 10, malformed or repeated Ids, more than 1 MiB, no such queue', async () => {
    // Prepare
    const url = emulator.createQueue(`batch-${++unique}`);
    const send = (Entries: Array<{ Id: string; MessageBody: string }>, QueueUrl = url) => caught(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries })));

    // Act
    const empty = await send([]);
    const eleven = await send(Array.from({ length: 11 }, (_, index) => ({ Id: `m${index}`, MessageBody: 'x' })));
    const badId = await send([{ Id: 'has space', MessageBody: 'x' }]);
    const longId = await send([{ Id: 'x'.repeat(81), MessageBody: 'x' }]);
    const repeated = await send([
      { Id: 'same', MessageBody: 'x' },
      { Id: 'same', MessageBody: 'y' },
    ]);
    const tooLong = await send([
      { Id: 'a', MessageBody: 'a'.repeat(600_000) },
      { Id: 'b', MessageBody: 'b'.repeat(600_000) },
    ]);
    const noQueue = await send([{ Id: 'a', MessageBody: 'x' }], `${emulator.endpoint}/000000000000/nope`);
    const emptyDelete = await caught(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })));
    const emptyVisibility = await caught(sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [] })));

    // Assess
    expect(empty).toBeInstanceOf(EmptyBatchRequest);
    expect(eleven).toBeInstanceOf(TooManyEntriesInBatchRequest);
    expect((eleven as Error).message).toBe('Maximum number of entries per request are 10. You have sent 11.');
    expect(badId).toBeInstanceOf(InvalidBatchEntryId);
    expect(longId).toBeInstanceOf(InvalidBatchEntryId);
    expect(repeated).toBeInstanceOf(BatchEntryIdsNotDistinct);
    expect(tooLong).toBeInstanceOf(BatchRequestTooLong);
    expect(noQueue).toBeInstanceOf(QueueDoesNotExist);
    expect(emptyDelete).toBeInstanceOf(EmptyBatchRequest);
    expect(emptyVisibility).toBeInstanceOf(EmptyBatchRequest);
    expect(emulator.messages(url)).toEqual([]);
  });

  it('DeleteMessageBatch deletes each valid handle and fails an unknown one with ReceiptHandleIsInvalid', async () => {
    // Prepare
    const url = emulator.createQueue(`batch-${++unique}`);
    emulator.sendMessage(url, 'one');
    emulator.sendMessage(url, 'two');
    const [one, two] = emulator.receive(url, { maxNumberOfMessages: 2 });

    // Act
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'one', ReceiptHandle: one!.receiptHandle },
          { Id: 'two', ReceiptHandle: two!.receiptHandle },
          { Id: 'bogus', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );

    // Assess
    expect(deleted.Successful).toEqual([{ Id: 'one' }, { Id: 'two' }]);
    expect(deleted.Failed).toEqual([{ Id: 'bogus', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.stringContaining('not-a-handle') }]);
    expect(emulator.messages(url)).toEqual([]);
  });

  it('ChangeMessageVisibilityBatch changes a message in flight and fails one that is not', async () => {
    // Prepare
    const url = emulator.createQueue(`batch-${++unique}`, { VisibilityTimeout: '30' });
    emulator.sendMessage(url, 'held');
    emulator.sendMessage(url, 'released');
    const [held, released] = emulator.receive(url, { maxNumberOfMessages: 2 });
    emulator.changeMessageVisibility(url, released!.receiptHandle, 0);

    // Act
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'held', ReceiptHandle: held!.receiptHandle, VisibilityTimeout: 600 },
          { Id: 'released', ReceiptHandle: released!.receiptHandle, VisibilityTimeout: 600 },
        ],
      }),
    );
    clock += 60_000;
    const visible = emulator
      .messages(url)
      .filter((message) => message.state === 'visible')
      .map((message) => message.body);

    // Assess
    expect(changed.Successful).toEqual([{ Id: 'held' }]);
    expect(changed.Failed).toEqual([{ Id: 'released', SenderFault: true, Code: 'AWS.SimpleQueueService.MessageNotInflight', Message: expect.any(String) }]);
    expect(visible).toEqual(['released']);
  });
});

describe('SQS emulator: dead-letter queue redrive (message move tasks)', () => {
  it('moves dead-lettered messages back to their source queue as new messages that keep body and attributes', async () => {
    // Prepare
    const queues = queueWithDeadLetterQueue();
    const original = emulator.sendMessage(queues.url, '{"inspectionId":"01JD0000000000000000000001"}', {
      messageAttributes: { [DEAD_LETTER_CODE_ATTRIBUTE]: { DataType: 'String', StringValue: 'CALL_REFUSED' } },
    });
    deadLetterEverything(queues.url);
    expect(emulator.messages(queues.dlqUrl).map((message) => message.deadLetterQueueSourceArn)).toEqual([queues.arn]);

    // Act
    const started = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queues.dlqArn }));
    await emulator.messageMoveTasksIdle();
    const task = await latestTask(queues.dlqArn);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.url, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));

    // Assess
    expect(started.TaskHandle).toEqual(expect.any(String));
    expect(task).toEqual({
      Status: 'COMPLETED',
      SourceArn: queues.dlqArn,
      ApproximateNumberOfMessagesMoved: 1,
      ApproximateNumberOfMessagesToMove: 1,
      StartedTimestamp: clock,
    });
    expect(emulator.messages(queues.dlqUrl)).toEqual([]);
    const [message] = received.Messages ?? [];
    expect(message?.Body).toBe('{"inspectionId":"01JD0000000000000000000001"}');
    expect(message?.MessageAttributes?.[DEAD_LETTER_CODE_ATTRIBUTE]).toEqual({ DataType: 'String', StringValue: 'CALL_REFUSED' });
    // "All redriven messages are considered new messages and are assigned a new messageID and enqueueTime".
    expect(message?.MessageId).not.toBe(original.messageId);
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(message?.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
  });

  it('fails a redrive to source of an alert parked with SendMessage (CouldNotDetermineMessageSource); DestinationArn moves it with its failureCode', async () => {
    // Prepare: the product's own adapter parks the alert, as placeCall does when no one could be rung.
    const queues = queueWithDeadLetterQueue(5);
    const alerts = new SqsAlertQueue({ client: sqs, queueUrl: queues.url, deadLetterQueueUrl: queues.dlqUrl });
    await alerts.deadLetter('{"inspectionId":"01JD0000000000000000000002"}', {
      code: 'DAILY_CALL_CAP_REACHED',
      reason: 'the daily cap of 100 calls was reached',
    });

    // Act
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queues.dlqArn }));
    await emulator.messageMoveTasksIdle();
    const toSource = await latestTask(queues.dlqArn);
    const stillParked = emulator.messages(queues.dlqUrl).length;
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queues.dlqArn, DestinationArn: queues.arn }));
    await emulator.messageMoveTasksIdle();
    const toDestination = await latestTask(queues.dlqArn);
    const [moved] = emulator.messages(queues.url);

    // Assess
    expect(toSource).toMatchObject({ Status: 'FAILED', FailureReason: COULD_NOT_DETERMINE_MESSAGE_SOURCE, ApproximateNumberOfMessagesMoved: 0 });
    expect(stillParked).toBe(1);
    expect(toDestination).toMatchObject({ Status: 'COMPLETED', DestinationArn: queues.arn, ApproximateNumberOfMessagesMoved: 1 });
    expect(emulator.messages(queues.dlqUrl)).toEqual([]);
    expect(moved?.messageAttributes).toEqual({
      failureCode: { DataType: 'String', StringValue: 'DAILY_CALL_CAP_REACHED' },
      failureReason: { DataType: 'String', StringValue: 'the daily cap of 100 calls was reached' },
    });
  });

  it('paces a task at MaxNumberOfMessagesPerSecond, allows one active task per queue, and cancels a RUNNING one', async () => {
    // Prepare
    const queues = queueWithDeadLetterQueue();
    for (let index = 0; index < 6; index += 1) emulator.sendMessage(queues.url, `message ${index}`);
    deadLetterEverything(queues.url);

    // Act
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queues.dlqArn, MaxNumberOfMessagesPerSecond: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const running = await latestTask(queues.dlqArn);
    const second = await caught(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queues.dlqArn })));
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    const afterCancel = await latestTask(queues.dlqArn);
    const cancelAgain = await caught(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })));

    // Assess
    expect(running).toEqual({
      TaskHandle,
      Status: 'RUNNING',
      SourceArn: queues.dlqArn,
      MaxNumberOfMessagesPerSecond: 1,
      ApproximateNumberOfMessagesMoved: 1,
      ApproximateNumberOfMessagesToMove: 6,
      StartedTimestamp: clock,
    });
    expect(second).toBeInstanceOf(SQSServiceException);
    expect(second).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    });
    // One message a second: cancelled well before the sixth, what had moved stays moved and the rest stays parked.
    const movedBeforeCancel = cancelled.ApproximateNumberOfMessagesMoved ?? 0;
    expect(movedBeforeCancel).toBeGreaterThanOrEqual(1);
    expect(movedBeforeCancel).toBeLessThan(6);
    expect(afterCancel).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: movedBeforeCancel });
    expect(afterCancel?.TaskHandle).toBeUndefined();
    expect(cancelAgain).toBeInstanceOf(UnsupportedOperation);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect([emulator.messages(queues.url).length, emulator.messages(queues.dlqUrl).length]).toEqual([movedBeforeCancel, 6 - movedBeforeCancel]);
  });

  it('answers the documented errors: no such source or destination, a source that is no DLQ, a rate outside 1–500, an unknown handle', async () => {
    // Prepare
    const queues = queueWithDeadLetterQueue();
    const fifo = emulator.createQueue(`redrive-${++unique}.fifo`, { FifoQueue: 'true' });
    const start = (input: { SourceArn: string; DestinationArn?: string; MaxNumberOfMessagesPerSecond?: number }) =>
      caught(sqs.send(new StartMessageMoveTaskCommand(input)));
    const missingArn = 'arn:aws:sqs:us-east-1:000000000000:no-such-queue';

    // Act
    const noSource = await start({ SourceArn: missingArn });
    const notDlq = await start({ SourceArn: queues.arn });
    const rateZero = await start({ SourceArn: queues.dlqArn, MaxNumberOfMessagesPerSecond: 0 });
    const rateTooHigh = await start({ SourceArn: queues.dlqArn, MaxNumberOfMessagesPerSecond: 501 });
    const noDestination = await start({ SourceArn: queues.dlqArn, DestinationArn: missingArn });
    const otherType = await start({ SourceArn: queues.dlqArn, DestinationArn: emulator.queueArn(fifo) });
    const notAnArn = await start({ SourceArn: 'waferwatch-alerts-dlq' });
    const listTooMany = await caught(sqs.send(new ListMessageMoveTasksCommand({ SourceArn: queues.dlqArn, MaxResults: 11 })));
    const unknownHandle = await caught(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'eyJ0YXNrSWQiOiJub25lIn0=' })));

    // Assess
    expect(noSource).toBeInstanceOf(ResourceNotFoundException);
    expect((noSource as Error).message).toBe("The resource that you specified for the SourceArn parameter doesn't exist.");
    expect(notDlq).toMatchObject({ name: 'InvalidParameterValue', message: 'Source queue must be configured as a Dead Letter Queue.' });
    expect(rateZero).toMatchObject({ name: 'InvalidParameterValue' });
    expect(rateTooHigh).toMatchObject({ name: 'InvalidParameterValue' });
    expect(noDestination).toBeInstanceOf(ResourceNotFoundException);
    expect(otherType).toMatchObject({ name: 'InvalidParameterValue' });
    expect(notAnArn).toMatchObject({ name: 'InvalidParameterValue' });
    expect(listTooMany).toMatchObject({ name: 'InvalidParameterValue' });
    expect(unknownHandle).toBeInstanceOf(ResourceNotFoundException);
    expect((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: queues.dlqArn }))).Results).toEqual([]);
  });

  it('keeps a running task and the moved messages in the persisted file: a restarted emulator finishes the task', async () => {
    // Prepare
    const folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-sqs-redrive-'));
    const file = path.join(folder, 'queues.json');
    try {
      const first = new SqsEmulator({ persistTo: file });
      const dlqUrl = first.createQueue('alerts-dlq');
      const url = first.createQueue('alerts', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: first.queueArn(dlqUrl), maxReceiveCount: 1 }) });
      for (let index = 0; index < 3; index += 1) {
        first.sendMessage(url, `alert ${index}`, { messageAttributes: { failureCode: { DataType: 'String', StringValue: 'RETRIES_EXHAUSTED' } } });
      }
      for (let round = 0; round < 3; round += 1) first.receive(url, { maxNumberOfMessages: 10, visibilityTimeoutSeconds: 0 });
      const dlqArn = first.queueArn(dlqUrl);

      // Act
      first.startMessageMoveTask(dlqArn, { maxNumberOfMessagesPerSecond: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const beforeRestart = first.listMessageMoveTasks(dlqArn)[0];
      await first.close();
      const second = new SqsEmulator({ persistTo: file });
      await second.messageMoveTasksIdle();
      const afterRestart = second.listMessageMoveTasks(dlqArn)[0];
      const moved = second.messages('alerts');
      await second.close();

      // Assess
      expect(beforeRestart).toMatchObject({ status: 'RUNNING', approximateNumberOfMessagesMoved: 1, approximateNumberOfMessagesToMove: 3 });
      expect(afterRestart).toMatchObject({ status: 'COMPLETED', approximateNumberOfMessagesMoved: 3, approximateNumberOfMessagesToMove: 3 });
      expect(moved.map((message) => message.body).sort()).toEqual(['alert 0', 'alert 1', 'alert 2']);
      expect(moved.every((message) => message.messageAttributes.failureCode?.StringValue === 'RETRIES_EXHAUSTED')).toBe(true);
      expect(second.messages('alerts-dlq')).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('SQS emulator with boto3 (the other SDK people point at it)', () => {
  const other = new SqsEmulator();

  beforeAll(async () => {
    await other.start();
  });

  afterAll(async () => {
    await other.close();
  });

  it('takes SendMessageBatch, DeleteMessageBatch and a redrive to source from boto3, the way the README rehearses it', async () => {
    // Prepare
    const dlqUrl = other.createQueue('boto3-alerts-dlq');
    const url = other.createQueue('boto3-alerts', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: other.queueArn(dlqUrl), maxReceiveCount: 1 }) });
    const script = [
      'import json, sys, time, boto3',
      'endpoint, url, dlq_url, dlq_arn = sys.argv[1:5]',
      "sqs = boto3.client('sqs', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')",
      "assert sqs.meta.service_model.protocol == 'json', 'this botocore speaks SQS ' + sqs.meta.service_model.protocol + '; the emulator speaks the JSON protocol of current SDKs (botocore >= 1.31.64)'",
      "sent = sqs.send_message_batch(QueueUrl=url, Entries=[{'Id': 'a', 'MessageBody': 'alert a', 'MessageAttributes': {'failureCode': {'DataType': 'String', 'StringValue': 'CALL_REFUSED'}}}, {'Id': 'b', 'MessageBody': 'alert b'}, {'Id': 'c', 'MessageBody': 'x', 'DelaySeconds': 901}])",
      "got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)['Messages']",
      "deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{'Id': 'b', 'ReceiptHandle': [m for m in got if m['Body'] == 'alert b'][0]['ReceiptHandle']}, {'Id': 'bogus', 'ReceiptHandle': 'nope'}])",
      'sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)',
      "handle = sqs.start_message_move_task(SourceArn=dlq_arn)['TaskHandle']",
      'for _ in range(100):',
      "    task = sqs.list_message_move_tasks(SourceArn=dlq_arn)['Results'][0]",
      "    if task['Status'] != 'RUNNING': break",
      '    time.sleep(0.05)',
      "back = sqs.receive_message(QueueUrl=url, MessageAttributeNames=['All'])['Messages']",
      "print(json.dumps({'successful': sorted(e['Id'] for e in sent['Successful']), 'failed': [[e['Id'], e['Code'], e['SenderFault']] for e in sent['Failed']],",
      "  'deleted': [e['Id'] for e in deleted['Successful']], 'notDeleted': [[e['Id'], e['Code']] for e in deleted['Failed']], 'handle': handle,",
      "  'task': {k: task[k] for k in ('Status', 'ApproximateNumberOfMessagesMoved', 'ApproximateNumberOfMessagesToMove')},",
      "  'back': [[m['Body'], m['MessageAttributes']['failureCode']['StringValue']] for m in back]}))",
    ].join('\n');

    // Act: the machine's python3 (pyenv, boto3 from pip) or Debian's (python3-boto3, which .ci/run installs if needed)
    const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import boto3']).status === 0) ?? 'python3';
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        ['-c', script, other.endpoint, url, dlqUrl, other.queueArn(dlqUrl)],
        { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
        (error, stdout, stderr) => (error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout)),
      ),
    );
    const answer = JSON.parse(output) as Record<string, unknown>;

    // Assess
    expect(answer).toEqual({
      successful: ['a', 'b'],
      failed: [['c', 'InvalidParameterValue', true]],
      deleted: ['b'],
      notDeleted: [['bogus', 'ReceiptHandleIsInvalid']],
      handle: expect.any(String),
      task: { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 },
      back: [['alert a', 'CALL_REFUSED']],
    });
  });
});
