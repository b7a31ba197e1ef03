import { execFile, spawnSync } from 'node:child_process';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsClient } from '../../../functions/adapters/aws-clients';
import { SnsAlertNotifier } from '../../../functions/adapters/sns/sns-alert-notifier';
import { SnsEmulator } from '../../../local/emulators/sns-emulator';
import { MemoryLogger } from '../../fixtures/fakes';

// The real SNS client (the AWS query protocol, form-encoded POST answered in XML) against the local SNS stand-in, and
// the adapter that tells people an alert reached nobody publishing through it.
const NUMBERS = /\+?\d[\d ]{6,}\d/;

let emulator: SnsEmulator;
let endpoint: string;
let client: SNSClient;

// Each test that queues failures (failNext) uses all of them up, so none leaks into the next test.
beforeAll(async () => {
  emulator = new SnsEmulator();
  endpoint = await emulator.start();
  client = createSnsClient({ region: 'us-east-1', endpoint });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; $fault?: string }> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('SNS emulator with the AWS SDK client', () => {
  it('creates topics (idempotently), lists them and keeps what is published with its subject and attributes', async () => {
    // Act
    const created = await client.send(new CreateTopicCommand({ Name: 'waferwatch-alerts-unacknowledged' }));
    const again = await client.send(new CreateTopicCommand({ Name: 'waferwatch-alerts-unacknowledged' }));
    const other = await client.send(new CreateTopicCommand({ Name: 'other-topic' }));
    const listed = await client.send(new ListTopicsCommand({}));
    const published = await client.send(
      new PublishCommand({
        TopicArn: created.TopicArn,
        Subject: 'waferwatch: nobody acknowledged',
        Message: 'line one\nline two & <three>',
        MessageAttributes: {
          inspectionId: { DataType: 'String', StringValue: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2' },
          status: { DataType: 'String', StringValue: 'unacknowledged' },
        },
      }),
    );

    // Assess
    expect(created.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:waferwatch-alerts-unacknowledged');
    expect(again.TopicArn).toBe(created.TopicArn);
    expect(listed.Topics?.map((topic) => topic.TopicArn).sort()).toEqual([other.TopicArn, created.TopicArn].sort());
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.published(created.TopicArn)).toEqual([
      {
        messageId: published.MessageId,
        topicArn: created.TopicArn,
        subject: 'waferwatch: nobody acknowledged',
        message: 'line one\nline two & <three>',
        attributes: { inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2', status: 'unacknowledged' },
        publishedAt: expect.any(String),
      },
    ]);
    expect(emulator.published(other.TopicArn)).toEqual([]);
  });

  it('answers NotFound for a topic that does not exist, as SNS does, without retrying', async () => {
    // Act
    const error = await rejection(client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:no-such-topic', Message: 'hello' })));

    // Assess
    expect(error.name).toBe('NotFoundException');
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect(error.$metadata?.attempts).toBe(1);
    expect(emulator.published('arn:aws:sns:us-east-1:000000000000:no-such-topic')).toEqual([]);
  });

  it('refuses an empty message, a subject over 100 characters or with a line break, and an invalid topic name', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'refusals' }));

    // Act
    const errors = await Promise.all([
      rejection(client.send(new PublishCommand({ TopicArn, Message: '' }))),
      rejection(client.send(new PublishCommand({ TopicArn, Message: 'x', Subject: 's'.repeat(101) }))),
      rejection(client.send(new PublishCommand({ TopicArn, Message: 'x', Subject: 'one\ntwo' }))),
      rejection(client.send(new CreateTopicCommand({ Name: 'not a name' }))),
    ]);

    // Assess
    for (const error of errors) expect(error).toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
    expect(emulator.published(TopicArn)).toEqual([]);
  });

  it('fails the next requests on demand: the SDK retries a server error and publishes once', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'flaky' }));
    emulator.failNext(2, 'InternalError', 500);

    // Act
    const published = await client.send(new PublishCommand({ TopicArn, Message: 'after two failures' }));

    // Assess
    expect(published.$metadata.attempts).toBe(3);
    expect(emulator.published(TopicArn).map((message) => message.message)).toEqual(['after two failures']);
  });

  it('fails the next requests on demand: a failure on every attempt reaches the caller, and the next request succeeds', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'down' }));
    emulator.failNext(3, 'InternalError', 500);

    // Act
    const error = await rejection(client.send(new PublishCommand({ TopicArn, Message: 'lost' })));
    const afterwards = await client.send(new PublishCommand({ TopicArn, Message: 'delivered' }));

    // Assess
    expect(error).toMatchObject({ name: 'InternalErrorException', $fault: 'server', $metadata: { httpStatusCode: 500, attempts: 3 } });
    expect(afterwards.MessageId).toBeDefined();
    expect(emulator.published(TopicArn).map((message) => message.message)).toEqual(['delivered']);
  });

  it('fails the next requests on demand: a client error is not retried', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'forbidden' }));
    emulator.failNext(1, 'AuthorizationError', 403);

    // Act
    const error = await rejection(client.send(new PublishCommand({ TopicArn, Message: 'refused' })));

    // Assess
    expect(error).toMatchObject({ name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403, attempts: 1 } });
    expect(emulator.published(TopicArn)).toEqual([]);
  });
});

describe('SnsAlertNotifier through the SNS emulator', () => {
  it('publishes one notice per alert that reached nobody: an ASCII subject of at most 100 characters, no phone number', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'waferwatch-alerts-notices' }));
    const logger = new MemoryLogger();
    const notifier = new SnsAlertNotifier({ client, topicArn: TopicArn, logger });
    const longName = `Ätzanlage Süd ${'Halle '.repeat(8)}`.trim().slice(0, 64);

    // Act
    await notifier.alertNotDelivered({
      inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2',
      stationId: 'etch-1',
      stationName: longName,
      status: 'unacknowledged',
      reason: 'Nobody acknowledged the call on any level of the ladder (2 rounds).',
    });
    await notifier.alertNotDelivered({
      inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C3',
      stationId: 'litho-3',
      stationName: 'Litho three',
      status: 'failed',
      reason: 'Operator call not placed: the operator number is not an allowed destination for this Connect instance (DestinationNotAllowedException).',
    });

    // Assess
    const notices = emulator.published(TopicArn);
    expect(notices).toHaveLength(2);
    for (const notice of notices) {
      expect(notice.subject?.length).toBeLessThanOrEqual(100);
      expect(notice.subject).toMatch(/^[\x20-\x7E]+$/);
      expect(`${notice.subject}\n${notice.message}`).not.toMatch(NUMBERS);
    }
    expect(notices[0]!.subject).toBe(`waferwatch: nobody acknowledged an anomaly on ${longName.replace(/[^\x20-\x7E]/g, '?')}`.slice(0, 100));
    expect(notices[0]!.message).toContain(`nobody acknowledged an anomaly on ${longName}`);
    expect(notices[0]!.message).toContain('Inspection: 01KB0Z4V3Q6M2XJ9T8R7P5N4C2');
    expect(notices[0]!.attributes).toEqual({ inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2', status: 'unacknowledged' });
    expect(notices[1]).toMatchObject({ subject: 'waferwatch: no call could be placed for an anomaly on Litho three', attributes: { status: 'failed' } });
    expect(notices[1]!.message).toContain('DestinationNotAllowedException');
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(2);
  });

  it('publishes that a daily call cap is reached, for a station and for the ceiling, in plain words', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'waferwatch-cap-notices' }));
    const notifier = new SnsAlertNotifier({ client, topicArn: TopicArn, logger: new MemoryLogger() });

    // Act
    await notifier.callCapReached({ limit: 'station', stationId: 'litho-3', stationName: 'Litho three', cap: 20, dayUtc: '2026-11-30', inspectionId: 'i-1' });
    await notifier.callCapReached({ limit: 'all-stations', stationId: 'etch-1', stationName: 'Etch one', cap: 100, dayUtc: '2026-11-30', inspectionId: 'i-2' });

    // Assess
    const [station, ceiling] = emulator.published(TopicArn);
    expect(station).toMatchObject({
      subject: 'waferwatch: Litho three reached its daily call cap',
      attributes: { status: 'call-cap-reached', limit: 'station' },
    });
    expect(station!.message).toContain('Station litho-3 has had its 20 operator calls of 2026-11-30 (UTC).');
    expect(ceiling).toMatchObject({ subject: 'waferwatch: the daily call ceiling for all stations is reached', attributes: { limit: 'all-stations' } });
    expect(ceiling!.message).toContain('All stations together have had the 100 operator calls');
  });

  it('cuts a long subject to 100 characters', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'waferwatch-long-subjects' }));
    const notifier = new SnsAlertNotifier({ client, topicArn: TopicArn, logger: new MemoryLogger() });

    // Act
    await notifier.alertNotDelivered({ inspectionId: 'i', stationId: 's', stationName: 'W'.repeat(64), status: 'failed', reason: 'No call could be started.' });

    // Assess
    const [notice] = emulator.published(TopicArn);
    expect(notice?.subject).toHaveLength(100);
    expect(notice?.message).toContain('W'.repeat(64));
  });

  it('rejects when SNS keeps failing, so the queue message that asked for the notice is retried', async () => {
    // Prepare
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: 'waferwatch-down' }));
    const notifier = new SnsAlertNotifier({ client, topicArn: TopicArn, logger: new MemoryLogger() });
    emulator.failNext(3, 'InternalError', 500);

    // Act
    const error = await rejection(notifier.alertNotDelivered({ inspectionId: 'i', stationId: 's', stationName: 'S', status: 'failed', reason: 'r' }));

    // Assess
    expect(error.name).toBe('InternalErrorException');
    expect(emulator.published(TopicArn)).toEqual([]);
  });

  it('only logs the notice when no topic is configured (the local stack without SNS)', async () => {
    // Prepare
    const logger = new MemoryLogger();
    const notifier = new SnsAlertNotifier({ logger });
    const before = emulator.published().length;

    // Act
    await notifier.alertNotDelivered({ inspectionId: 'i', stationId: 's', stationName: 'S', status: 'unacknowledged', reason: 'r' });

    // Assess
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'An alert reached nobody; people are notified',
        extra: expect.objectContaining({ inspectionId: 'i', status: 'unacknowledged' }),
      },
    ]);
    expect(emulator.published()).toHaveLength(before);
  });
});

describe('SNS emulator with boto3 (the other SDK people point at it)', () => {
  it('takes CreateTopic, Publish with a subject and attributes, and ListTopics from boto3', async () => {
    // Prepare
    const script = [
      'import json, sys, boto3',
      "sns = boto3.client('sns', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')",
      "arn = sns.create_topic(Name='boto3-topic')['TopicArn']",
      "published = sns.publish(TopicArn=arn, Subject='from boto3', Message='hello from boto3', MessageAttributes={'status': {'DataType': 'String', 'StringValue': 'failed'}})",
      "topics = [topic['TopicArn'] for topic in sns.list_topics()['Topics']]",
      "print(json.dumps({'arn': arn, 'messageId': published['MessageId'], 'topics': topics}))",
    ].join('\n');

    // Act: the machine's python3 (pyenv, boto3 from pip) or Debian's (python3-boto3, which .ci/run installs if needed)
    const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import boto3']).status === 0) ?? 'python3';
    const output = await new Promise<string>((resolve, reject) =>
      execFile(python, ['-c', script, endpoint], { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } }, (error, stdout, stderr) =>
        error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout),
      ),
    );

    // Assess
    const answer = JSON.parse(output) as { arn: string; messageId: string; topics: string[] };
    expect(answer.arn).toBe('arn:aws:sns:us-east-1:000000000000:boto3-topic');
    expect(answer.topics).toContain(answer.arn);
    expect(emulator.published(answer.arn)).toEqual([
      {
        messageId: answer.messageId,
        topicArn: answer.arn,
        subject: 'from boto3',
        message: 'hello from boto3',
        attributes: { status: 'failed' },
        publishedAt: expect.any(String),
      },
    ]);
  });
});
