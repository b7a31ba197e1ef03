import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../functions/adapters/aws-clients';
import { ConnectOperatorCaller } from '../../functions/adapters/connect/connect-operator-caller';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../functions/adapters/dynamodb/dynamodb-escalation-store';
import { hasAllowedPrefix } from '../../functions/core/phone-number';
import type { AlertMessage } from '../../functions/core/ports/alert-queue';
import { defaultStation } from '../../functions/core/station-registry';
import { createInspectImageHandler } from '../../functions/adapters/http/inspect-image-route';
import { createPlaceCallHandler } from '../../functions/adapters/sqs/place-call-handler';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../local/emulators/dynamodb-emulator';
import { alertQueueEvent, RecordingQueueControl } from '../fixtures/alert-events';
import { apiEvent, cameraAuthorizer, lambdaContext, multipartBody, personAuthorizer } from '../fixtures/api-events';
import {
  InMemoryImageClaims,
  InMemoryInspectionStore,
  MemoryLogger,
  RecordingAlertPublisher,
  RecordingNotifier,
  RecordingTimers,
  ScriptedDetector,
  verdict,
} from '../fixtures/fakes';
import { syntheticWafer } from '../fixtures/wafer-images';
import { SharpImageDecoder } from '../../functions/adapters/image-decoding/sharp-image-decoder';

// What configuration says; nothing a request carries may change any of it.
const CONFIGURED = {
  InstanceId: '11111111-2222-4333-8444-555555555555',
  ContactFlowId: '66666666-7777-4888-9999-000000000000',
  SourcePhoneNumber: '+448081570000',
};
const ALLOWED_PREFIXES = ['+44'];
// Who may be rung: the station's ladder (here the default station of a product without a registry, whose one contact
// is OPERATOR_PHONE_NUMBER), never a number from a request or a queue message.
const OPERATOR_PHONE_NUMBER = '+447700900123';
const STATION = defaultStation(OPERATOR_PHONE_NUMBER);
const STATION_NUMBERS = new Set(STATION.escalation.flatMap((level) => level.contacts.map((contact) => contact.phone)));
const ATTRIBUTE_NAMES = [
  'callKind',
  'confidencePercent',
  'contactName',
  'escalationLevel',
  'escalationLoop',
  'foldedAnomalies',
  'inspectionId',
  'stationId',
  'stationName',
];
const ALERT_STATE_TABLE = 'waferwatch-alert-state';

/** Values an attacker would try: other numbers (premium, satellite, spaced), other instances and flows, injection text. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    '+882123456789',
    '+447700900999',
    '+1 900 555 0100',
    '0044 909 8790000',
    'tel:+881612345678',
    '99999999-9999-4999-8999-999999999999',
    'arn:aws:connect:eu-west-1:123456789012:instance/99999999-9999-4999-8999-999999999999',
    '{"DestinationPhoneNumber":"+882123456789"}',
    '${OPERATOR_PHONE_NUMBER}',
    '__proto__',
  ),
  fc.string({ maxLength: 40 }),
);
/** Field and header names that sound like they might steer the call. */
const hostileName = fc.oneof(
  fc.constantFrom(
    'destination',
    'DestinationPhoneNumber',
    'destinationPhoneNumber',
    'operatorPhoneNumber',
    'OPERATOR_PHONE_NUMBER',
    'phone',
    'to',
    'SourcePhoneNumber',
    'InstanceId',
    'instanceId',
    'ContactFlowId',
    'contactFlowId',
    'connectInstanceId',
    'Attributes',
    'constructor',
    '__proto__',
  ),
  fc.string({ minLength: 1, maxLength: 16 }),
);
const hostileFields = fc.dictionary(hostileName, hostileValue, { maxKeys: 5 });
/** Header names must be valid tokens to reach a handler at all (API Gateway refuses the rest). */
const hostileHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom('x-destination-phone-number', 'x-operator-phone', 'x-connect-instance-id', 'x-contact-flow-id', 'x-amz-target', 'host', 'x-forwarded-for'),
    fc.stringMatching(/^x-[a-z0-9-]{1,16}$/),
  ),
  hostileValue,
  { maxKeys: 4 },
);
/** A station id the API accepts (so the call happens), one that looks like a number, or a hostile one. */
const stationId = fc.option(
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), fc.constantFrom('+447700900999', '882123456789', 'line-4'), hostileValue),
  { nil: undefined },
);

interface HostileRequest {
  shape: 'raw' | 'multipart' | 'json';
  station: string | undefined;
  stationIn: 'query' | 'header' | 'body';
  fields: Record<string, string>;
  headers: Record<string, string>;
  query: Record<string, string>;
  stageVariables: Record<string, string> | null;
}

const hostileRequest: fc.Arbitrary<HostileRequest> = fc.record({
  shape: fc.constantFrom('raw', 'multipart', 'json'),
  station: stationId,
  stationIn: fc.constantFrom('query', 'header', 'body'),
  fields: hostileFields,
  headers: hostileHeaders,
  query: hostileFields,
  stageVariables: fc.option(hostileFields, { nil: null }),
});

function toEvent(request: HostileRequest, image: Buffer): APIGatewayProxyEvent {
  const query: Record<string, string> = { ...request.query };
  const headers: Record<string, string> = { ...request.headers };
  if (request.station !== undefined && request.stationIn === 'query') query.station = request.station;
  if (request.station !== undefined && request.stationIn === 'header') headers['x-station-id'] = request.station;
  const bodyStation = request.station !== undefined && request.stationIn === 'body' ? request.station : undefined;
  const common = {
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    stageVariables: request.stageVariables,
    pathParameters: request.fields,
  };
  if (request.shape === 'raw') {
    return apiEvent({ ...common, headers: { ...headers, 'content-type': 'image/jpeg' }, body: image.toString('base64'), isBase64Encoded: true });
  }
  if (request.shape === 'multipart') {
    const parts = [
      ...Object.entries(request.fields)
        .filter(([name]) => name !== 'image' && name !== 'station')
        .map(([name, value]) => ({ name, value })),
      ...(bodyStation !== undefined ? [{ name: 'station', value: bodyStation }] : []),
      { name: 'image', value: image, filename: 'wafer.jpg', contentType: 'image/jpeg' },
    ];
    const { body, contentType } = multipartBody(parts);
    return apiEvent({ ...common, headers: { ...headers, 'content-type': contentType }, body: body.toString('base64'), isBase64Encoded: true });
  }
  const json = { ...request.fields, image: image.toString('base64'), ...(bodyStation !== undefined ? { station: bodyStation } : {}) };
  return apiEvent({ ...common, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json), isBase64Encoded: false });
}

/**
 * The whole path a request's fields could travel to Connect: the inspect handler publishes an alert message, and the
 * place-call consumer (the real Connect adapter over the SDK client, the real DynamoDB alert state over dynalite) turns
 * it into StartOutboundVoiceContact. No cooldown and a cap no test reaches, so every anomaly rings.
 */
interface AlertPath {
  store: InMemoryInspectionStore;
  alerts: RecordingAlertPublisher;
  queue: RecordingQueueControl;
  timers: RecordingTimers;
  notifier: RecordingNotifier;
  inspect: ReturnType<typeof createInspectImageHandler>;
  placeCall: ReturnType<typeof createPlaceCallHandler>;
}

describe('toll-fraud guard: who is called comes from configuration and the station registry only', () => {
  let image: Buffer;
  let emulator: DynamoDbEmulator;
  let documents: DynamoDBDocumentClient;
  let connect: AwsStub<any, any, any>;
  let caller: ConnectOperatorCaller;
  // Each delivery sees a later second: with a cooldown of 0 no anomaly is ever folded into another's call.
  let clock = Date.parse('2026-11-26T08:00:00Z');
  const now = () => new Date((clock += 1000));

  beforeAll(async () => {
    image = await syntheticWafer('jpeg', 96, 96);
    emulator = await startDynamoDbEmulator({ tables: [{ name: ALERT_STATE_TABLE, partitionKey: 'pk' }] });
    documents = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
    const client = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    connect = mockClient(client);
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'contact-1' });
    caller = new ConnectOperatorCaller({
      client,
      instanceId: CONFIGURED.InstanceId,
      contactFlowId: CONFIGURED.ContactFlowId,
      sourcePhoneNumber: CONFIGURED.SourcePhoneNumber,
      allowedCountryPrefixes: ALLOWED_PREFIXES,
    });
  });
  afterAll(async () => {
    documents?.destroy();
    await emulator?.close();
  });

  /** A fresh inspection store and queue for one request, over the shared Connect stub and alert state table. */
  function alertPath(): AlertPath {
    const logger = new MemoryLogger();
    const store = new InMemoryInspectionStore();
    const alerts = new RecordingAlertPublisher();
    const queue = new RecordingQueueControl();
    const timers = new RecordingTimers();
    const notifier = new RecordingNotifier();
    const inspect = createInspectImageHandler(() => ({
      allowedOrigins: ['https://inspect.fab.example'],
      logger,
      // Every wafer is anomalous and certain, so every accepted request queues an alert.
      detector: async () => new ScriptedDetector(() => verdict(true, 0.99)),
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
    const placeCall = createPlaceCallHandler(() => ({
      store,
      caller,
      alertState: new DynamoDbAlertStateStore({ client: documents, tableName: ALERT_STATE_TABLE }),
      ladders: new DynamoDbEscalationStore({ client: documents, tableName: ALERT_STATE_TABLE }),
      // Whatever station the request named, the product without a registry has one station and rings its ladder.
      stations: async () => STATION,
      timers,
      notifier,
      queue,
      logger,
      now,
      policy: {
        stationCooldownMs: 0,
        dailyCallCap: 1_000_000,
        stationDailyCallCap: 1_000_000,
        maxAttempts: 5,
        leaseSeconds: 40,
        retryBaseSeconds: 10,
        ackTimeoutSeconds: 120,
        escalationLoops: 2,
      },
    }));
    return { store, alerts, queue, timers, notifier, inspect, placeCall };
  }

  /** The StartOutboundVoiceContact inputs sent while `run` runs. */
  async function callsDuring(run: () => Promise<unknown>) {
    const before = connect.commandCalls(StartOutboundVoiceContactCommand).length;
    await run();
    return connect
      .commandCalls(StartOutboundVoiceContactCommand)
      .slice(before)
      .map((call) => call.args[0].input);
  }

  function expectConfiguredTarget(calls: Awaited<ReturnType<typeof callsDuring>>): void {
    for (const call of calls) {
      const { Attributes, ClientToken, DestinationPhoneNumber, ...target } = call;
      expect(target).toEqual(CONFIGURED);
      expect(STATION_NUMBERS.has(DestinationPhoneNumber as string), DestinationPhoneNumber).toBe(true);
      expect(hasAllowedPrefix(DestinationPhoneNumber as string, ALLOWED_PREFIXES)).toBe(true);
      expect(Object.keys(Attributes ?? {}).sort()).toEqual(ATTRIBUTE_NAMES);
      // What the call says about who it is for comes from the registry too, never from the request.
      expect(Attributes).toMatchObject({ stationName: STATION.name, contactName: STATION.escalation[0]!.contacts[0]!.name });
      expect(ClientToken).toMatch(/^waferwatch-inspection-/);
    }
  }

  it('every StartOutboundVoiceContact carries the configured instance, flow and source and a number of the station, whatever the request held', async () => {
    let answered201 = 0;

    // Act
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const path = alertPath();
        const response = await path.inspect(toEvent(request, image), lambdaContext);
        const calls = await callsDuring(() => path.placeCall(alertQueueEvent(path.alerts.messages.map((message) => JSON.stringify(message)))));

        // Assess
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode === 201) {
          answered201 += 1;
          expect(path.alerts.messages).toHaveLength(1);
          expect(calls).toHaveLength(1);
          expect(calls[0]?.Attributes?.inspectionId).toBe(JSON.parse(response.body).inspectionId);
          // The ladder's first level rings and waits for a key (the record says ringing; its timer is on the queue).
          expect(path.store.records.get(JSON.parse(response.body).inspectionId)?.alert.status).toBe('ringing');
          expect(path.timers.published).toEqual([{ message: expect.objectContaining({ kind: 'escalate', fromStep: 0 }), delaySeconds: 120 }]);
        } else {
          expect(path.alerts.messages).toHaveLength(0);
          expect(calls).toHaveLength(0);
        }
        expect(path.queue.deadLettered).toEqual([]);
        expectConfiguredTarget(calls);
      }),
      { numRuns: 150 },
    );

    // Assess
    // The property must have been exercised on calls that were actually placed, not only on refused requests.
    expect(answered201).toBeGreaterThan(50);
    for (const call of connect.commandCalls(StartOutboundVoiceContactCommand))
      expect(STATION_NUMBERS.has(call.args[0].input.DestinationPhoneNumber as string)).toBe(true);
  });

  it("a camera's hostile request is judged under its key's station or refused, and a caller without the right rings no one", async () => {
    // Cameras most of the time: only their requests can be judged or refused for their station, and the counts below
    // must not hinge on luck (with a third of the runs each, a run once judged only 5).
    const callers = fc.oneof(
      { arbitrary: fc.constant({ kind: 'camera', authorizer: cameraAuthorizer('line-4') }), weight: 4 },
      { arbitrary: fc.constant({ kind: 'no-group', authorizer: personAuthorizer('contractors') }), weight: 1 },
      { arbitrary: fc.constant({ kind: 'nobody', authorizer: undefined }), weight: 1 },
    );
    let judged = 0;
    let refusedStations = 0;

    // Act
    await fc.assert(
      fc.asyncProperty(hostileRequest, callers, async (request, caller) => {
        const path = alertPath();
        const event = toEvent(request, image);
        event.requestContext = { ...event.requestContext, authorizer: caller.authorizer };
        const response = await path.inspect(event, lambdaContext);
        const calls = await callsDuring(() => path.placeCall(alertQueueEvent(path.alerts.messages.map((message) => JSON.stringify(message)))));

        // Assess
        if (caller.kind === 'nobody') expect(response.statusCode).toBe(401);
        if (caller.kind === 'no-group') expect(response.statusCode).toBe(403);
        // A camera naming another station (wherever in the request) is refused; which station a hostile request
        // names is for the handler to find, so the property is what happens: refused, or judged as line-4.
        if (response.statusCode === 403 && caller.kind === 'camera') {
          refusedStations += 1;
          expect(JSON.parse(response.body).error.code).toBe('STATION_NOT_PERMITTED');
        }
        if (response.statusCode === 201) {
          judged += 1;
          expect(caller.kind).toBe('camera');
          expect(path.store.records.get(JSON.parse(response.body).inspectionId)?.stationId).toBe('line-4');
          expect(calls.map((call) => call.Attributes?.stationId)).toEqual(['line-4']);
        } else {
          expect(calls).toHaveLength(0);
        }
        expectConfiguredTarget(calls);
      }),
      { numRuns: 120 },
    );

    // Assess: the property saw cameras' requests that were inspected and some naming another station.
    expect(judged).toBeGreaterThan(5);
    expect(refusedStations).toBeGreaterThan(5);
  });

  /** A genuine alert: a real upload's published message, whose inspection record exists, so a valid message rings. */
  async function genuineAlert(path: AlertPath, stationId = 'line-4'): Promise<AlertMessage> {
    const response = await path.inspect(
      apiEvent({
        headers: { 'content-type': 'image/jpeg' },
        queryStringParameters: { station: stationId },
        body: image.toString('base64'),
        isBase64Encoded: true,
      }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(201);
    expect(path.alerts.messages).toHaveLength(1);
    return path.alerts.messages[0]!;
  }

  it('a hostile alert message with extra target fields rings the station number, configured instance and flow, and nothing else', async () => {
    // Prepare
    const path = alertPath();
    const genuine = await genuineAlert(path);
    const body = JSON.stringify({
      ...genuine,
      DestinationPhoneNumber: '+882123456789',
      destinationPhoneNumber: '+882123456789',
      SourcePhoneNumber: '+447700900999',
      InstanceId: '99999999-9999-4999-8999-999999999999',
      ContactFlowId: '99999999-9999-4999-8999-999999999999',
      Attributes: { DestinationPhoneNumber: '+882123456789' },
      foldedCount: 1e12,
    }).replace(/}$/, ',"__proto__":{"DestinationPhoneNumber":"+882123456789","InstanceId":"evil"}}');

    // Act
    const calls = await callsDuring(() => path.placeCall(alertQueueEvent([body])));

    // Assess
    expect(calls).toHaveLength(1);
    expectConfiguredTarget(calls);
    expect(JSON.stringify(calls)).not.toContain('882123456789');
    expect(calls[0]!.Attributes).toMatchObject({ inspectionId: genuine.inspectionId, stationId: 'line-4', confidencePercent: '99' });
    // The folded count is the station's own, from the alert state, not the message's.
    expect(calls[0]!.Attributes?.foldedAnomalies).toBe('0');
    expect(path.queue.deadLettered).toEqual([]);
  });

  it('a ladder timer or cooldown end carrying target fields rings only the station, or no one', async () => {
    // Prepare: a genuine alert rings level 1, then its timer comes back (with hostile extras), and a cooldown end too.
    const path = alertPath();
    const genuine = await genuineAlert(path);
    await path.placeCall(alertQueueEvent([JSON.stringify(genuine)]));
    const hostile = {
      DestinationPhoneNumber: '+882123456789',
      destinationPhoneNumber: '+882123456789',
      contacts: [{ name: 'Evil', phone: '+882123456789' }],
      stationName: 'Evil <speak>',
    };
    const timer = JSON.stringify({
      ...hostile,
      kind: 'escalate',
      inspectionId: genuine.inspectionId,
      stationId: genuine.stationId,
      fromStep: 0,
      reason: 'ack-timeout',
      queuedAt: genuine.queuedAt,
    });
    const cooldownEnd = JSON.stringify({
      ...hostile,
      kind: 'cooldown-end',
      stationId: genuine.stationId,
      dueAt: '2026-01-01T00:00:00.000Z',
      queuedAt: genuine.queuedAt,
    });

    // Act
    const escalated = await callsDuring(() => path.placeCall(alertQueueEvent([timer])));
    const told = await callsDuring(() => path.placeCall(alertQueueEvent([cooldownEnd])));

    // Assess: the timer moves the ladder to its next step (the second round of the one-level default ladder)
    expect(escalated).toHaveLength(1);
    expectConfiguredTarget(escalated);
    expect(escalated[0]!.Attributes).toMatchObject({ inspectionId: genuine.inspectionId, escalationLevel: '1', escalationLoop: '2' });
    expect(told).toEqual([]);
    expect(JSON.stringify([...escalated, ...told])).not.toContain('882123456789');
    expect(path.queue.deadLettered).toEqual([]);
  });

  it.each([
    ['a phone number as the station', (genuine: AlertMessage) => JSON.stringify({ ...genuine, stationId: '+882123456789' })],
    ['a spaced phone number as the station', (genuine: AlertMessage) => JSON.stringify({ ...genuine, stationId: '+1 900 555 0100' })],
    ['a huge confidence', (genuine: AlertMessage) => JSON.stringify({ ...genuine, confidencePercent: 1e308 })],
    ['a negative confidence', (genuine: AlertMessage) => JSON.stringify({ ...genuine, confidencePercent: -5 })],
    ['a confidence as text', (genuine: AlertMessage) => JSON.stringify({ ...genuine, confidencePercent: '99; DestinationPhoneNumber=+882123456789' })],
    ['a number as the inspection id', (genuine: AlertMessage) => JSON.stringify({ ...genuine, inspectionId: '+882123456789' })],
    ['no queue time', ({ queuedAt: _queuedAt, ...genuine }: AlertMessage) => JSON.stringify(genuine)],
    ['only the call target', () => JSON.stringify({ DestinationPhoneNumber: '+882123456789', InstanceId: '99999999-9999-4999-8999-999999999999' })],
    ['an array', (genuine: AlertMessage) => JSON.stringify([genuine])],
    ['not JSON', (genuine: AlertMessage) => `${JSON.stringify(genuine)}}`],
  ])('a malformed alert message (%s) is dead-lettered as MALFORMED_ALERT_MESSAGE and rings no one', async (_name, tamper) => {
    // Prepare
    const path = alertPath();
    const genuine = await genuineAlert(path);
    const body = tamper(genuine);

    // Act
    let response: Awaited<ReturnType<AlertPath['placeCall']>> | undefined;
    const calls = await callsDuring(async () => {
      response = await path.placeCall(alertQueueEvent([body]));
    });

    // Assess
    expect(calls).toEqual([]);
    expect(response?.batchItemFailures).toEqual([]);
    expect(path.queue.deadLettered).toEqual([{ body, code: 'MALFORMED_ALERT_MESSAGE', reason: expect.any(String) }]);
    expect(path.store.records.get(genuine.inspectionId)?.alert.status).toBe('queued');
  });

  it('no tampering of an alert message changes the target: it rings a number of the station once, or no one', async () => {
    // Each field is left alone more often than not, so both valid and malformed messages come up.
    const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary, weight: 1 });
    const tampering = fc.record({
      extra: hostileFields,
      stationId: sometimes(
        fc.oneof(
          stationId.map((value) => value ?? 'line-4'),
          hostileValue,
        ),
      ),
      confidencePercent: sometimes(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double(), fc.integer(), hostileValue)),
      foldedCount: sometimes(fc.oneof(fc.nat(), fc.double(), fc.integer(), hostileValue)),
    });
    let rang = 0;

    await fc.assert(
      fc.asyncProperty(tampering, async ({ extra, ...overrides }) => {
        // Prepare
        const path = alertPath();
        const genuine = await genuineAlert(path);
        const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
        const body = JSON.stringify({ ...extra, ...genuine, ...defined });

        // Act
        const calls = await callsDuring(() => path.placeCall(alertQueueEvent([body])));

        // Assess
        expectConfiguredTarget(calls);
        expect(calls.length).toBeLessThanOrEqual(1);
        if (calls.length === 1) {
          rang += 1;
          expect(calls[0]!.Attributes?.inspectionId).toBe(genuine.inspectionId);
          expect(path.queue.deadLettered).toEqual([]);
        } else {
          expect(path.queue.deadLettered).toEqual([{ body, code: 'MALFORMED_ALERT_MESSAGE', reason: expect.any(String) }]);
        }
      }),
      { numRuns: 100 },
    );

    // Both outcomes were exercised: tampered messages that still ring, and ones refused as malformed.
    expect(rang).toBeGreaterThan(10);
    expect(rang).toBeLessThan(100);
  });
});
