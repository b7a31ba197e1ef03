import { ConnectClient, DestinationNotAllowedException, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { ConnectOperatorCaller } from '../../../functions/adapters/connect/connect-operator-caller';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../../functions/adapters/dynamodb/dynamodb-escalation-store';
import { SqsAlertQueue } from '../../../functions/adapters/sqs/sqs-alert-queue';
import type { Detector } from '../../../functions/core/ports/detector';
import type { AlertPublisher } from '../../../functions/core/ports/alert-queue';
import type { ImageClaims } from '../../../functions/core/ports/alert-state-store';
import { defaultStation } from '../../../functions/core/station-registry';
import { createGetInspectionHandler } from '../../../functions/adapters/http/get-inspection-route';
import { createInspectImageHandler } from '../../../functions/adapters/http/inspect-image-route';
import { createPlaceCallHandler } from '../../../functions/adapters/sqs/place-call-handler';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { alertQueueEvent, RecordingQueueControl } from '../../fixtures/alert-events';
import { apiEvent, lambdaContext, rawUploadEvent } from '../../fixtures/api-events';
import {
  alertingFakes,
  InMemoryImageClaims,
  InMemoryInspectionStore,
  MemoryLogger,
  RecordingAlertPublisher,
  RecordingNotifier,
  RecordingTimers,
  ScriptedDetector,
  verdict,
} from '../../fixtures/fakes';
import { syntheticWafer } from '../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../functions/adapters/image-decoding/sharp-image-decoder';

const OPERATOR = '+447700900123';
const SECRET = 'sk-live-7f3a9c';
/** What must never reach a client: stack frames, file paths, the secret, the operator's number. */
const LEAKS = [/\n\s+at /, /\/var\/task|\/work\/|node_modules|file:\/\//, new RegExp(SECRET), /447700900123/];

/** Something a dependency might throw: errors carrying secrets, paths and numbers, or not errors at all. */
const thrown = fc.oneof(
  fc.string({ maxLength: 30 }).map((text) => {
    const error = new Error(`connection to db failed ${text} token=${SECRET} calling ${OPERATOR}`);
    error.stack = `Error: ${error.message}\n    at handler (/var/task/functions/inspect-image.mjs:1:2)\n    at node_modules/x.js:3:4`;
    return error;
  }),
  fc.constantFrom<unknown>(
    `raw string ${SECRET}`,
    { secret: SECRET, phone: OPERATOR },
    null,
    42,
    Object.assign(new TypeError(`x is undefined ${SECRET}`), { $fault: 'server' }),
  ),
);

/** The real SQS adapter whose SendMessage fails with `failure`: what stands between SQS's errors and the client. */
function failingQueue(failure: unknown): AlertPublisher {
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  mockClient(client)
    .on(SendMessageCommand)
    .callsFake(() => Promise.reject(failure));
  return new SqsAlertQueue({
    client,
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
    deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
  });
}

/** The real DynamoDB alert state adapter whose every request fails with `failure`, as the pipeline's image claims. */
function failingClaims(failure: unknown): ImageClaims {
  const documents = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }));
  mockClient(documents)
    .onAnyCommand()
    .callsFake(() => Promise.reject(failure));
  const alertState = new DynamoDbAlertStateStore({ client: documents, tableName: 'waferwatch-alert-state' });
  return {
    claim: (sha256, inspectionId) => alertState.claimImage(sha256, inspectionId, 3600),
    release: (sha256, inspectionId) => alertState.releaseImage(sha256, inspectionId),
  };
}

describe('no stack traces, secrets or phone numbers in responses', () => {
  let image: Buffer;
  beforeAll(async () => {
    image = await syntheticWafer('jpeg', 96, 96);
  });

  function handlerWith(options: { store?: InMemoryInspectionStore; detector?: Detector; alerts?: AlertPublisher; imageClaims?: ImageClaims }) {
    const logger = new MemoryLogger();
    const fakes = alertingFakes();
    return createInspectImageHandler(() => ({
      allowedOrigins: ['https://inspect.fab.example'],
      logger,
      detector: async () => options.detector ?? new ScriptedDetector(() => verdict(true, 0.9)),
      inspection: {
        store: options.store ?? new InMemoryInspectionStore(),
        alerts: options.alerts ?? fakes.alerts,
        imageClaims: options.imageClaims ?? fakes.imageClaims,
        logger,
        alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
        decoder: new SharpImageDecoder(),
        limits: { maxBytes: 256 * 1024, minSide: 64, maxSide: 4096 },
      },
    }));
  }

  it('answers whatever a store, detector, alert queue or image claim throws with a JSON body free of stack, paths, secrets and numbers', async () => {
    await fc.assert(
      fc.asyncProperty(thrown, fc.constantFrom('store', 'detector', 'alerts', 'claims'), async (failure, where) => {
        // Prepare
        const store = new InMemoryInspectionStore();
        if (where === 'store') store.putRecord = () => Promise.reject(failure);
        const detector: Detector | undefined = where === 'detector' ? { detect: () => Promise.reject(failure) } : undefined;
        // The alert queue and the claims are the real SQS and DynamoDB adapters whose SDK calls fail: the adapters and
        // the pipeline are what stand between those errors (which can echo anything) and the answer the client sees.
        const alerts = where === 'alerts' ? failingQueue(failure) : undefined;
        const imageClaims = where === 'claims' ? failingClaims(failure) : undefined;

        // Act
        const response = await handlerWith({ store, detector, alerts, imageClaims })(rawUploadEvent(image), lambdaContext);

        // Assess
        const body = JSON.parse(response.body) as Record<string, any>;
        for (const leak of LEAKS) expect(response.body, `${where}: ${response.body}`).not.toMatch(leak);
        if (response.statusCode >= 500) {
          expect(body.error.code).toMatch(/^[A-Z_]+$/);
          expect(Object.keys(body.error).sort()).toEqual(expect.arrayContaining(['code', 'message']));
        }
        if (where === 'alerts') {
          // The verdict is kept and says why no call is coming; the client is told to send the image again.
          expect(response.statusCode).toBe(503);
          expect(body.error).toMatchObject({ code: 'ALERT_QUEUE_UNAVAILABLE', inspectionId: expect.any(String) });
          expect(store.records.get(body.error.inspectionId)?.alert.status).toBe('not-queued');
          for (const leak of LEAKS) expect(JSON.stringify([...store.records.values()])).not.toMatch(leak);
        }
        if (where === 'claims') {
          expect(response.statusCode).toBe(503);
          expect(body.error.code).toBe('STORAGE_UNAVAILABLE');
          expect(store.objects.size + store.records.size).toBe(0);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('the operator number never reaches a client when Connect refuses the queued call', () => {
  const TABLE = 'waferwatch-alert-state';
  let emulator: DynamoDbEmulator;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    emulator = await startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }] });
    documents = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
  });
  afterAll(async () => {
    documents?.destroy();
    await emulator?.close();
  });

  it('keeps the number Connect names in its refusal out of the record, the GET answer, the dead-letter reason, the notice and the logs', async () => {
    // Prepare: the upload queues its alert; place-call then rings through the real adapter, and Connect refuses with a message naming the number.
    const image = await syntheticWafer('jpeg', 100, 96);
    const store = new InMemoryInspectionStore();
    const alerts = new RecordingAlertPublisher();
    const logger = new MemoryLogger();
    const inspect = createInspectImageHandler(() => ({
      allowedOrigins: [],
      logger,
      detector: async () => new ScriptedDetector(() => verdict(true, 0.9)),
      inspection: {
        store,
        alerts,
        imageClaims: new InMemoryImageClaims(),
        logger,
        alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
        decoder: new SharpImageDecoder(),
        limits: { maxBytes: 256 * 1024, minSide: 64, maxSide: 4096 },
      },
    }));
    const connect = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(connect)
      .on(StartOutboundVoiceContactCommand)
      .rejects(new DestinationNotAllowedException({ $metadata: { httpStatusCode: 403 }, message: `Outbound calls to ${OPERATOR} are not allowed` }));
    const queue = new RecordingQueueControl();
    const timers = new RecordingTimers();
    const notifier = new RecordingNotifier();
    const placeCall = createPlaceCallHandler(() => ({
      store,
      caller: new ConnectOperatorCaller({
        client: connect,
        instanceId: 'i',
        contactFlowId: 'f',
        sourcePhoneNumber: '+448081570000',
        allowedCountryPrefixes: ['+44'],
      }),
      alertState: new DynamoDbAlertStateStore({ client: documents, tableName: TABLE }),
      ladders: new DynamoDbEscalationStore({ client: documents, tableName: TABLE }),
      // No registry: the one default station, whose ladder is the configured operator.
      stations: async () => defaultStation(OPERATOR),
      timers,
      notifier,
      queue,
      logger,
      policy: {
        stationCooldownMs: 0,
        dailyCallCap: 1000,
        stationDailyCallCap: 1000,
        maxAttempts: 5,
        leaseSeconds: 40,
        retryBaseSeconds: 10,
        ackTimeoutSeconds: 120,
        escalationLoops: 2,
      },
    }));
    const uploaded = await inspect(rawUploadEvent(image), lambdaContext);
    const inspectionId = JSON.parse(uploaded.body).inspectionId as string;

    // Act
    const delivery = await placeCall(alertQueueEvent(alerts.messages.map((message) => JSON.stringify(message))));
    const fetched = await createGetInspectionHandler(() => ({ allowedOrigins: [], logger, store }))(
      apiEvent({ httpMethod: 'GET', resource: '/inspections/{id}', pathParameters: { id: inspectionId } }),
      lambdaContext,
    );

    // Assess
    expect(uploaded.statusCode).toBe(201);
    expect(delivery.batchItemFailures).toEqual([]);
    expect(queue.deadLettered).toEqual([expect.objectContaining({ code: 'CALL_REFUSED' })]);
    expect(fetched.statusCode).toBe(200);
    expect(JSON.parse(fetched.body).alert).toMatchObject({
      status: 'failed',
      code: 'CALL_REFUSED',
      reason: expect.stringContaining('DestinationNotAllowedException'),
    });
    // Nobody could be rung: people are told, and no ladder timer is left waiting for a key.
    expect(notifier.notices).toEqual([expect.objectContaining({ inspectionId, status: 'failed' })]);
    expect(timers.published).toEqual([]);
    for (const leak of LEAKS) {
      expect(fetched.body).not.toMatch(leak);
      expect(JSON.stringify(queue.deadLettered)).not.toMatch(leak);
      expect(JSON.stringify(notifier.notices)).not.toMatch(leak);
      expect(JSON.stringify(logger.lines)).not.toMatch(leak);
    }
  });
});
