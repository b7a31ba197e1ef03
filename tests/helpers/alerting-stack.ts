import type { APIGatewayProxyResult, SQSEvent } from 'aws-lambda';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createPlaceCallDependencies } from '../../functions/alert-dependencies';
import { parseConfig, type Config } from '../../functions/config';
import type { InspectionRecord } from '../../functions/core/inspection';
import { createDependencies } from '../../functions/dependencies';
import { createLogger } from '../../functions/logger';
import { createInspectImageHandler } from '../../functions/routes/inspect-image-route';
import { createPlaceCallHandler } from '../../functions/routes/place-call-handler';
import { startAlertServices, type AlertServices } from '../../local/alert-services';
import { startS3FaultProxy, type S3FaultProxy } from '../../local/emulators/s3-fault-proxy';
import { pumpQueueToHandler, type QueuePumpReport } from '../../local/emulators/sqs-lambda-pump';
import { lambdaContext, rawUploadEvent } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from './local-aws-stand-ins';

/**
 * The whole alerting path on protocol-level stand-ins, for fault-injection tests: the inspect route and the place-call
 * consumer built by the production wiring (createDependencies, createPlaceCallDependencies) from a parsed
 * configuration, with real SDK clients against s3rver (behind a fault proxy), the Lookout for Vision and Connect
 * emulators, the SQS emulator (alert queue with redrive) and dynalite (alert state). The SQS clock is the test's,
 * so backoff delays pass without sleeping.
 */
export interface AlertingStack {
  standIns: LocalAwsStandIns;
  s3Faults: S3FaultProxy;
  alerts: AlertServices;
  config: Config;
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
  close(): Promise<void>;
}

export async function startAlertingStack(options: { env?: Record<string, string> } = {}): Promise<AlertingStack> {
  let clock = Date.now();
  const now = () => clock;
  const standIns = await startLocalAwsStandIns();
  const s3Faults = await startS3FaultProxy({ target: standIns.s3.endpoint });
  const alerts = await startAlertServices({ now });
  const config = parseConfig({
    ...standIns.env,
    S3_ENDPOINT: s3Faults.endpoint,
    SQS_ENDPOINT: alerts.sqsEndpoint,
    ALERT_QUEUE_URL: alerts.alertQueueUrl,
    ALERT_DEAD_LETTER_QUEUE_URL: alerts.deadLetterQueueUrl,
    DYNAMODB_ENDPOINT: alerts.dynamoDbEndpoint,
    ALERT_STATE_TABLE: alerts.alertStateTable,
    ALLOWED_ORIGINS: 'http://localhost:3000',
    ...options.env,
  });
  const logger = createLogger();
  const app = createDependencies(config, logger);
  const inspect = createInspectImageHandler(() => ({ ...app, allowedOrigins: config.ALLOWED_ORIGINS }));
  const placeCallDependencies = { ...createPlaceCallDependencies(config, logger), now: () => new Date(clock) };
  const placeCall = createPlaceCallHandler(() => placeCallDependencies);

  return {
    standIns,
    s3Faults,
    alerts,
    config,
    async upload(bytes, stationId) {
      const headers = stationId ? { 'content-type': 'image/png', 'x-station-id': stationId } : { 'content-type': 'image/png' };
      const event = rawUploadEvent(bytes, 'image/png', { headers, multiValueHeaders: {} });
      const result = (await inspect(event, lambdaContext)) as APIGatewayProxyResult;
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
        const left = alerts.sqs.messages(alerts.alertQueueUrl).length;
        if (left === 0) break;
        // Past any backoff (at most 15 minutes) and the queue's visibility timeout.
        clock += 16 * 60_000;
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
    async close() {
      app.s3.destroy();
      await Promise.allSettled([s3Faults.close(), alerts.close()]);
      await standIns.close();
    },
  };
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
