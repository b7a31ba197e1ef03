import type { ConnectContactFlowEvent, SQSEvent } from 'aws-lambda';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDynamoDbClient } from '../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../functions/adapters/dynamodb/dynamodb-escalation-store';
import { createContactEventsDependencies, readContactEventsConfig } from '../../functions/wiring/contact-events';
import { createContactEventsHandler, type ConnectContactEvent } from '../../functions/adapters/eventbridge/contact-events-handler';
import { createRecordDecisionHandler, type RecordDecisionAnswer } from '../../functions/adapters/connect/record-decision-handler';
import { importStations } from '../../deploy/import-stations';
import { SnsEmulator } from '../../local/emulators/sns-emulator';
import { createPlaceCallDependencies, readPlaceCallConfig } from '../../functions/wiring/place-call';
import type { InspectionRecord } from '../../functions/core/inspection';
import { createInspectImageDependencies, readInspectImageConfig, type InspectImageConfig } from '../../functions/wiring/inspect-image';
import { createLogger } from '../../functions/adapters/observability/logger';
import { createInspectImageHandler } from '../../functions/adapters/http/inspect-image-route';
import { createPlaceCallHandler } from '../../functions/adapters/sqs/place-call-handler';
import { startAlertServices, type AlertServices } from '../../local/alert-services';
import { startS3FaultProxy, type S3FaultProxy } from '../../local/emulators/s3-fault-proxy';
import { pumpQueueToHandler, type QueuePumpReport } from '../../local/emulators/sqs-lambda-pump';
import { lambdaContext, rawUploadEvent } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from './local-aws-stand-ins';

/**
 * The whole alerting path on protocol-level stand-ins, for fault-injection tests: the inspect route, the place-call
 * consumer and the contact-events function built by the production wiring (createInspectImageDependencies,
 * createPlaceCallDependencies, createContactEventsDependencies), each from its own parse of one environment, with real SDK clients against s3rver (behind a fault proxy), the Lookout for Vision and Connect
 * emulators, the SQS emulator (alert queue with redrive) and dynalite (alert state). The SQS clock is the test's,
 * so backoff delays pass without sleeping.
 */
export interface AlertingStack {
  standIns: LocalAwsStandIns;
  s3Faults: S3FaultProxy;
  alerts: AlertServices;
  /** The environment every function of the stack is configured from. */
  env: Record<string, string>;
  /** The inspect function's configuration, parsed from `env`. */
  config: InspectImageConfig;
  /** POST /inspections with raw image bytes. */
  upload(bytes: Uint8Array, stationId?: string): Promise<{ statusCode: number; body: Record<string, any> }>;
  /**
   * Deliver the alert queue to place-call until nothing is left to deliver: after each pass the clock moves past any
   * backoff, as time would. Returns the summed pump reports.
   */
  drainAlerts(): Promise<QueuePumpReport>;
  /** Move the SQS clock (and the place-call clock) forward. */
  advance(ms: number): void;
  /** Every inspection record in the bucket. */
  records(): Promise<InspectionRecord[]>;
  /** The keys of stored wafer images (not masks, not records). */
  imageKeys(): Promise<string[]>;
  /**
   * Move every dead-lettered alert back to the alert queue with its attributes, as an operator's DLQ redrive
   * (SQS StartMessageMoveTask) does after the cause is fixed; only those whose body `select` accepts, when given.
   */
  redriveDeadLetters(select?: (body: Record<string, unknown>) => boolean): number;
  /** Messages in the alert dead-letter queue, with their failure attributes. */
  deadLetters(): Array<{ body: Record<string, unknown>; code?: string; reason?: string }>;
  /** The SNS emulator and the topic people are told on when an alert reaches nobody. */
  sns: SnsEmulator;
  topicArn: string;
  /** Resolves once every contact event the Connect emulator emitted so far went through the contact-events function. */
  eventsSettled(): Promise<void>;
  /** The person picks up, presses `key` (the flow's record-decision invocation) and the flow hangs up. */
  answerWithKey(contactId: string, key: '1' | '2'): Promise<RecordDecisionAnswer>;
  /** The person picks up and hangs up without a key. */
  hangUpWithoutKey(contactId: string): Promise<void>;
  /** The call rings out unanswered. */
  letRingOut(contactId: string): Promise<void>;
  /** Throw the functions' containers away and build new ones from the configuration (a restart mid-ladder). */
  restartFunctions(): void;
  /** Calls placed so far (oldest first) with the contact's name and level from their attributes. */
  calls(): Array<{
    contactId: string;
    destination: string;
    contactName: string;
    level: string;
    loop: string;
    status: string;
    attributes: Record<string, string>;
  }>;
  close(): Promise<void>;
}

export interface AlertingStackOptions {
  env?: Record<string, string>;
  /** A station registry file's content: the stack gets a registry table seeded from it (STATION_REGISTRY_TABLE). */
  stations?: unknown;
}

export async function startAlertingStack(options: AlertingStackOptions = {}): Promise<AlertingStack> {
  let clock = Date.now();
  const now = () => clock;
  const standIns = await startLocalAwsStandIns();
  const s3Faults = await startS3FaultProxy({ target: standIns.s3.endpoint });
  const alerts = await startAlertServices({ now });
  const sns = new SnsEmulator();
  const snsEndpoint = await sns.start();
  const topicArn = sns.createTopic('waferwatch-test-alert-unacknowledged');
  const registryEnv =
    options.stations === undefined ? {} : await seedRegistry(alerts.dynamoDbEndpoint, options.stations, options.env?.OPERATOR_COUNTRY_PREFIXES);
  const env: Record<string, string> = {
    ...standIns.env,
    S3_ENDPOINT: s3Faults.endpoint,
    SQS_ENDPOINT: alerts.sqsEndpoint,
    ALERT_QUEUE_URL: alerts.alertQueueUrl,
    ALERT_DEAD_LETTER_QUEUE_URL: alerts.deadLetterQueueUrl,
    DYNAMODB_ENDPOINT: alerts.dynamoDbEndpoint,
    ALERT_STATE_TABLE: alerts.alertStateTable,
    ALLOWED_ORIGINS: 'http://localhost:3000',
    SNS_ENDPOINT: snsEndpoint,
    ALERT_UNACKNOWLEDGED_TOPIC_ARN: topicArn,
    // The test clock is not the wall clock: requests to the Connect emulator are not spaced out here.
    CONNECT_CALLS_PER_SECOND: '100',
    ...registryEnv,
    ...options.env,
  };
  const config = readInspectImageConfig(env);
  const logger = createLogger();
  const app = createInspectImageDependencies(config, logger);
  const inspect = createInspectImageHandler(() => app);
  // Rebuilt by restartFunctions(), as new Lambda containers would be: nothing of a ladder lives in a container.
  let placeCallDependencies = { ...createPlaceCallDependencies(readPlaceCallConfig(env), logger), now: () => new Date(clock) };
  const placeCall = createPlaceCallHandler(() => placeCallDependencies);
  // The contact-events function as EventBridge's rule invokes it, fed by the Connect emulator's contact events.
  let contactEventsDependencies = { ...createContactEventsDependencies(readContactEventsConfig(env), logger), now: () => new Date(clock) };
  const contactEvents = createContactEventsHandler(() => contactEventsDependencies);
  const pendingEvents = new Set<Promise<unknown>>();
  const eventFailures: unknown[] = [];
  const stopListening = standIns.connect.onContactEvent((event) => {
    const delivery = contactEvents(event as unknown as ConnectContactEvent).catch((error: unknown) => eventFailures.push(error));
    pendingEvents.add(delivery);
    void delivery.finally(() => pendingEvents.delete(delivery));
  });
  const ladders = new DynamoDbEscalationStore({
    client: toDocumentClient(createDynamoDbClient({ region: config.AWS_REGION, endpoint: alerts.dynamoDbEndpoint })),
    tableName: alerts.alertStateTable,
  });
  const recordDecision = createRecordDecisionHandler(() => ({ store: app.store, ladders, logger, now: () => new Date(clock) }));
  const eventsSettled = async () => {
    while (pendingEvents.size > 0) await Promise.allSettled([...pendingEvents]);
    if (eventFailures.length > 0) throw eventFailures.shift();
  };

  return {
    standIns,
    s3Faults,
    alerts,
    env,
    config,
    async upload(bytes, stationId) {
      const headers = stationId ? { 'content-type': 'image/png', 'x-station-id': stationId } : { 'content-type': 'image/png' };
      const event = rawUploadEvent(bytes, 'image/png', { headers, multiValueHeaders: {} });
      const result = await inspect(event, lambdaContext);
      return { statusCode: result.statusCode, body: JSON.parse(result.body) as Record<string, any> };
    },
    async drainAlerts() {
      const total: QueuePumpReport = { batches: 0, received: 0, deleted: 0, failed: 0, handlerErrors: [] };
      for (let pass = 0; pass < 20; pass += 1) {
        const report = await pumpQueueToHandler(alerts.sqs, alerts.alertQueueUrl, (event: SQSEvent) => placeCall(event), { batchSize: 5 });
        total.batches += report.batches;
        total.received += report.received;
        total.deleted += report.deleted;
        total.failed += report.failed;
        total.handlerErrors.push(...report.handlerErrors);
        // Ladder and cooldown timers wait for the test to move the clock (advance()); anything else left is a retry,
        // and the clock moves in small steps just until one is due, so timers set meanwhile do not fire on the way.
        const retries = () => alerts.sqs.messages(alerts.alertQueueUrl).filter((message) => !isTimer(message.body));
        if (retries().length === 0) break;
        // Past any backoff (at most 15 minutes) and the queue's visibility timeout.
        for (let waited = 0; waited < 16 * 60_000 && !retries().some((message) => message.state === 'visible'); waited += 5_000) clock += 5_000;
      }
      return total;
    },
    advance(ms) {
      clock += ms;
    },
    async records() {
      const keys = await listKeys(standIns, config.IMAGE_BUCKET);
      const records: InspectionRecord[] = [];
      for (const key of keys.filter((name) => name.endsWith('.json'))) {
        const id = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
        const record = await app.store.getRecord(id);
        if (record) records.push(record);
      }
      return records;
    },
    async imageKeys() {
      return (await listKeys(standIns, config.IMAGE_BUCKET)).filter((key) => /\.(png|jpg)$/.test(key) && !key.endsWith('.mask.png'));
    },
    redriveDeadLetters(select = () => true) {
      const { sqs, alertQueueUrl, deadLetterQueueUrl } = alerts;
      let moved = 0;
      const leftBehind: string[] = [];
      // Messages left behind stay in flight until the whole queue was read, then are made visible again.
      const receive = () => sqs.receive(deadLetterQueueUrl, { maxNumberOfMessages: 10, visibilityTimeoutSeconds: 3600 });
      for (let received = receive(); received.length > 0; received = receive()) {
        for (const message of received) {
          if (!select(JSON.parse(message.body) as Record<string, unknown>)) {
            leftBehind.push(message.receiptHandle);
            continue;
          }
          sqs.sendMessage(alertQueueUrl, message.body, { messageAttributes: message.messageAttributes });
          sqs.deleteMessage(deadLetterQueueUrl, message.receiptHandle);
          moved += 1;
        }
      }
      for (const receiptHandle of leftBehind) sqs.changeMessageVisibility(deadLetterQueueUrl, receiptHandle, 0);
      return moved;
    },
    deadLetters() {
      return alerts.sqs.messages(alerts.deadLetterQueueUrl).map((message) => ({
        body: JSON.parse(message.body) as Record<string, unknown>,
        ...(message.messageAttributes.failureCode?.StringValue ? { code: message.messageAttributes.failureCode.StringValue } : {}),
        ...(message.messageAttributes.failureReason?.StringValue ? { reason: message.messageAttributes.failureReason.StringValue } : {}),
      }));
    },
    sns,
    topicArn,
    eventsSettled,
    async answerWithKey(contactId, key) {
      const call = standIns.connect.call(contactId);
      if (!call) throw new Error(`No call ${contactId}`);
      standIns.connect.answerCall(contactId);
      await eventsSettled();
      const event = { Details: { ContactData: { ContactId: contactId, Attributes: call.attributes }, Parameters: { key } }, Name: 'ContactFlowEvent' };
      const answer = await recordDecision(event as unknown as ConnectContactFlowEvent);
      standIns.connect.endCall(contactId, 'flow-ended', { decision: answer });
      await eventsSettled();
      return answer;
    },
    async hangUpWithoutKey(contactId) {
      standIns.connect.answerCall(contactId);
      standIns.connect.endCall(contactId, 'hung-up');
      await eventsSettled();
    },
    async letRingOut(contactId) {
      standIns.connect.endCall(contactId, 'no-answer');
      await eventsSettled();
    },
    restartFunctions() {
      placeCallDependencies = { ...createPlaceCallDependencies(readPlaceCallConfig(env), logger), now: () => new Date(clock) };
      contactEventsDependencies = { ...createContactEventsDependencies(readContactEventsConfig(env), logger), now: () => new Date(clock) };
    },
    calls() {
      return [...standIns.connect.calls()].reverse().map((call) => ({
        contactId: call.contactId,
        destination: call.destinationPhoneNumber,
        contactName: call.attributes.contactName ?? '',
        level: call.attributes.escalationLevel ?? '',
        loop: call.attributes.escalationLoop ?? '',
        status: call.status,
        attributes: call.attributes,
      }));
    },
    async close() {
      stopListening();
      app.s3.destroy();
      await Promise.allSettled([s3Faults.close(), alerts.close(), sns.close()]);
      await standIns.close();
    },
  };
}

/** Create a registry table in dynalite and import the file through the real import; the env that names it. */
async function seedRegistry(endpoint: string, stations: unknown, prefixes = '+1,+44'): Promise<Record<string, string>> {
  const tableName = 'waferwatch-test-stations';
  const client = createDynamoDbClient({ region: 'us-east-1', endpoint });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'stationId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'stationId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    client.destroy();
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-stations-'));
  try {
    const file = path.join(folder, 'stations.json');
    await writeFile(file, JSON.stringify(stations));
    await importStations({ file, tableName, region: 'us-east-1', endpoint, allowedPrefixes: prefixes.split(','), replace: true });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return { STATION_REGISTRY_TABLE: tableName, STATION_REGISTRY_CACHE_SECONDS: '0' };
}

function isTimer(body: string): boolean {
  try {
    const kind = (JSON.parse(body) as { kind?: unknown }).kind;
    return kind === 'escalate' || kind === 'cooldown-end';
  } catch {
    return false;
  }
}

async function listKeys(standIns: LocalAwsStandIns, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await standIns.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'inspections/', ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}
