import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { OperatorCallFailedError } from '../../../functions/adapters/connect/connect-operator-caller';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../../functions/adapters/dynamodb/dynamodb-escalation-store';
import type { InspectionRecord, RingingAlert } from '../../../functions/core/inspection';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import { backoffSeconds, type CallPolicy } from '../../../functions/core/place-operator-call';
import type { AlertMessage, AlertPublisher, AlertQueueMessage } from '../../../functions/core/ports/alert-queue';
import type { AlertNotifier } from '../../../functions/core/ports/alert-notifier';
import type { OperatorCaller, OutboundCall } from '../../../functions/core/ports/operator-caller';
import { defaultStation, type Station } from '../../../functions/core/station-registry';
import { createPlaceCallHandler, type PlaceCallHandlerDependencies } from '../../../functions/adapters/sqs/place-call-handler';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';

// place-call's decisions against a real DynamoDB implementation (dynalite) for the alert state and the ladders, with an
// in-memory record store, a scripted caller and recording queues: what is deleted, retried (with which delay),
// dead-lettered, which timers go on the queue, and who is rung in which order.

const TABLE = 'alert-state';
const T0 = Date.parse('2026-11-26T12:00:00Z');

let emulator: DynamoDbEmulator;
let documentClient: ReturnType<typeof toDocumentClient>;

/** A caller that answers from a script: each entry is an error to throw, or undefined to place the call. */
class ScriptedCaller implements OperatorCaller {
  readonly placed: OutboundCall[] = [];
  attempts = 0;
  constructor(private readonly script: Array<Error | undefined> = []) {}
  async startCall(call: OutboundCall) {
    this.attempts += 1;
    const failure = this.script.shift();
    if (failure) throw failure;
    this.placed.push(call);
    return { contactId: call.step === 0 && call.index === 0 ? `contact-${call.inspectionId}` : `contact-${call.inspectionId}-${call.step}-${call.index}` };
  }
}

/** The alert queue as a timer sink: what was published, with its delay. */
class RecordingTimers implements AlertPublisher {
  readonly published: Array<{ message: AlertQueueMessage; delaySeconds: number }> = [];
  async publish(message: AlertQueueMessage, delaySeconds = 0) {
    this.published.push({ message, delaySeconds });
  }
}

class RecordingNotifier implements AlertNotifier {
  readonly notices: Array<Parameters<AlertNotifier['alertNotDelivered']>[0]> = [];
  readonly capNotices: Array<Parameters<AlertNotifier['callCapReached']>[0]> = [];
  failNext = 0;
  async callCapReached(notice: Parameters<AlertNotifier['callCapReached']>[0]) {
    this.capNotices.push(notice);
  }
  async alertNotDelivered(notice: Parameters<AlertNotifier['alertNotDelivered']>[0]) {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SNS is down');
    }
    this.notices.push(notice);
  }
}

const OPERATOR = '+15555550100';
const LADDER: Station = {
  id: 'ladder-1',
  name: 'Ladder one',
  escalation: [
    {
      contacts: [
        { name: 'Operator A', phone: '+15555550101' },
        { name: 'Operator B', phone: '+15555550102' },
      ],
    },
    { contacts: [{ name: 'Shift lead', phone: '+15555550103' }] },
  ],
};

class RecordingQueue {
  readonly delays: Array<{ receiptHandle: string; seconds: number }> = [];
  readonly deadLetters: Array<{ body: string; code: string; reason: string }> = [];
  async delayRedelivery(receiptHandle: string, seconds: number) {
    this.delays.push({ receiptHandle, seconds });
  }
  async deadLetter(body: string, failure: { code: string; reason: string }) {
    this.deadLetters.push({ body, ...failure });
  }
}

let store: InMemoryInspectionStore;
let queue: RecordingQueue;
let timers: RecordingTimers;
let notifier: RecordingNotifier;
let clock: number;
let table: string;
let tables = 0;

// One loop by default: the station has one operator, rung once, as before ladders; the ladder tests ask for more.
const policy: CallPolicy = {
  stationCooldownMs: 300_000,
  dailyCallCap: 3,
  stationDailyCallCap: 1000,
  maxAttempts: 3,
  leaseSeconds: 40,
  retryBaseSeconds: 10,
  ackTimeoutSeconds: 120,
  escalationLoops: 1,
};

function handlerWith(
  caller: OperatorCaller,
  overrides: Partial<CallPolicy> = {},
  stations: Record<string, Station> = {},
  ladders: PlaceCallHandlerDependencies['ladders'] = new DynamoDbEscalationStore({ client: documentClient, tableName: table }),
) {
  const deps: PlaceCallHandlerDependencies = {
    store,
    caller,
    alertState: new DynamoDbAlertStateStore({ client: documentClient, tableName: table }),
    ladders,
    stations: async (stationId) => stations[stationId] ?? defaultStation(OPERATOR),
    timers,
    notifier,
    queue,
    logger: new MemoryLogger(),
    policy: { ...policy, ...overrides },
    now: () => new Date(clock),
  };
  return createPlaceCallHandler(() => deps);
}

function ringing(inspectionId: string): RingingAlert {
  return store.records.get(inspectionId)?.alert as RingingAlert;
}

/** Store an anomalous record whose alert is queued, as the pipeline does before it publishes. */
async function queuedInspection(stationId: string): Promise<AlertMessage> {
  clock += 1;
  const inspectionId = newInspectionId(clock);
  const record: InspectionRecord = {
    inspectionId,
    stationId,
    source: 'api',
    status: 'anomalous',
    image: { key: `inspections/2026/11/26/${inspectionId}.png`, contentType: 'image/png', sizeBytes: 10, width: 64, height: 64, sha256: inspectionId },
    alert: { status: 'queued', queuedAt: new Date(clock).toISOString() },
    createdAt: new Date(clock).toISOString(),
    updatedAt: new Date(clock).toISOString(),
  };
  await store.putRecord(record);
  return { inspectionId, stationId, confidencePercent: 91, queuedAt: record.createdAt };
}

function sqsEvent(messages: Array<{ body: string; receiveCount?: number; redriven?: string }>): SQSEvent {
  return {
    Records: messages.map(
      ({ body, receiveCount, redriven }, index) =>
        ({
          messageId: `m-${index}`,
          receiptHandle: `r-${index}`,
          body,
          attributes: { ApproximateReceiveCount: String(receiveCount ?? 1) },
          // As Lambda hands over the attributes deadLetter() set, once the message is moved back to the queue.
          messageAttributes: redriven ? { failureCode: { stringValue: redriven, dataType: 'String', stringListValues: [], binaryListValues: [] } } : {},
        }) as unknown as SQSRecord,
    ),
  };
}

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ tables: Array.from({ length: 24 }, (_, i) => ({ name: `${TABLE}-${i}`, partitionKey: 'pk' })) });
  documentClient = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
});

afterAll(async () => {
  documentClient?.destroy();
  await emulator?.close();
});

beforeEach(() => {
  // A fresh table per test: the daily count and the stations start empty.
  table = `${TABLE}-${tables}`;
  tables += 1;
  store = new InMemoryInspectionStore();
  queue = new RecordingQueue();
  timers = new RecordingTimers();
  notifier = new RecordingNotifier();
  clock = T0;
});

describe('place-call handler', () => {
  it('rings the station, records the call on the inspection, sets the acknowledgement timer and deletes the message', async () => {
    // Prepare
    const caller = new ScriptedCaller();
    const message = await queuedInspection('litho-1');
    // Act
    const response = await handlerWith(caller)(sqsEvent([{ body: JSON.stringify(message) }]));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(caller.placed).toEqual([
      expect.objectContaining({
        inspectionId: message.inspectionId,
        stationId: 'litho-1',
        stationName: 'the default station',
        destinationPhoneNumber: OPERATOR,
        foldedCount: 0,
        level: 1,
        loop: 1,
        step: 0,
      }),
    ]);
    const at = new Date(clock).toISOString();
    expect(store.records.get(message.inspectionId)?.alert).toEqual({
      status: 'ringing',
      startedAt: at,
      level: 1,
      loop: 1,
      callKind: 'anomaly',
      attempts: [
        {
          step: 0,
          level: 1,
          loop: 1,
          contactName: 'Operator',
          phone: '+1******0100',
          startedAt: at,
          contactId: `contact-${message.inspectionId}`,
          outcome: 'ringing',
        },
      ],
    });
    expect(timers.published).toEqual([
      {
        message: { kind: 'escalate', inspectionId: message.inspectionId, stationId: 'litho-1', fromStep: 0, reason: 'ack-timeout', queuedAt: at },
        delaySeconds: 120,
      },
    ]);
  });

  it('keeps a throttled alert on the queue with exponential backoff, then rings the same inspection once', async () => {
    // Prepare
    const throttled = () => new OperatorCallFailedError('LimitExceededException', true);
    const caller = new ScriptedCaller([throttled(), throttled()]);
    const message = await queuedInspection('litho-2');
    const handler = handlerWith(caller);
    // Act
    const first = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 1 }]));
    const second = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 2 }]));
    const third = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 3 }]));
    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(third.batchItemFailures).toEqual([]);
    const [delay1, delay2] = queue.delays.map((delay) => delay.seconds);
    expect(delay1).toBeGreaterThanOrEqual(8);
    expect(delay1).toBeLessThanOrEqual(12);
    expect(delay2).toBeGreaterThanOrEqual(16);
    expect(delay2).toBeLessThanOrEqual(24);
    expect(caller.placed).toHaveLength(1);
    expect(store.records.get(message.inspectionId)?.alert.status).toBe('ringing');
    expect(queue.deadLetters).toEqual([]);
  });

  it("never asks Connect twice for a call whose answer was lost: the attempt is unconfirmed and the step's timer runs", async () => {
    // Prepare: the request went out and the connection broke before Connect's answer came back.
    const lost = new OperatorCallFailedError('NetworkError', true, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true);
    const caller = new ScriptedCaller([lost]);
    const message = await queuedInspection('litho-4');
    const handler = handlerWith(caller);

    // Act: the delivery, and a redelivery of the same message for good measure.
    const first = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 1 }]));
    await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 2 }]));

    // Assess: asked once; the record says the call may have rung; the ack timer will move the ladder on.
    expect(first.batchItemFailures).toEqual([]);
    expect(caller.attempts).toBe(1);
    expect(ringing(message.inspectionId).attempts).toEqual([expect.objectContaining({ outcome: 'unconfirmed', level: 1 })]);
    expect(timers.published.map(({ message: timer }) => timer.kind)).toEqual(['escalate']);
  });

  it('does not ring again when the call started but recording it failed: the retried delivery finds the call asked for', async () => {
    // Prepare: Connect places the call; the table refuses the write that records it, once.
    const caller = new ScriptedCaller();
    const message = await queuedInspection('litho-5');
    const real = new DynamoDbEscalationStore({ client: documentClient, tableName: table });
    let failRecording = true;
    const flaky = Object.assign(Object.create(real) as DynamoDbEscalationStore, {
      recordCallStarted: async (link: Parameters<DynamoDbEscalationStore['recordCallStarted']>[0]) => {
        if (failRecording) {
          failRecording = false;
          throw new Error('DynamoDB is unavailable');
        }
        return real.recordCallStarted(link);
      },
    });
    const handler = handlerWith(caller, {}, {}, flaky);

    // Act
    const first = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 1 }]));
    const second = await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 2 }]));

    // Assess: one call in all, retried delivery kept it as possibly ringing, and its timer was set.
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(caller.placed).toHaveLength(1);
    expect(ringing(message.inspectionId).attempts).toEqual([expect.objectContaining({ outcome: 'unconfirmed' })]);
    expect(timers.published.filter(({ message: timer }) => timer.kind === 'escalate')).toHaveLength(1);
  });

  it('asks again after a refusal that certainly started nothing (a connection refused before sending)', async () => {
    // Prepare
    const notSent = new OperatorCallFailedError('NetworkError', true, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false);
    const caller = new ScriptedCaller([notSent]);
    const message = await queuedInspection('litho-6');
    const handler = handlerWith(caller);

    // Act
    await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 1 }]));
    await handler(sqsEvent([{ body: JSON.stringify(message), receiveCount: 2 }]));

    // Assess
    expect(caller.attempts).toBe(2);
    expect(caller.placed).toHaveLength(1);
    expect(ringing(message.inspectionId).attempts).toEqual([expect.objectContaining({ outcome: 'ringing' })]);
  });

  it('gives a throttled alert up on its last attempt: failed on the record, in the dead-letter queue with the reason', async () => {
    const throttled = () => new OperatorCallFailedError('LimitExceededException', true);
    const caller = new ScriptedCaller([throttled(), throttled(), throttled()]);
    const message = await queuedInspection('litho-3');

    const response = await handlerWith(caller)(sqsEvent([{ body: JSON.stringify(message), receiveCount: 3 }]));

    expect(response.batchItemFailures).toEqual([]);
    expect(store.records.get(message.inspectionId)?.alert).toMatchObject({
      status: 'failed',
      code: 'RETRIES_EXHAUSTED',
      reason: expect.stringContaining('Gave up after 3 attempts'),
    });
    expect(queue.deadLetters).toEqual([
      { body: JSON.stringify(message), code: 'RETRIES_EXHAUSTED', reason: expect.stringContaining('LimitExceededException') },
    ]);
  });

  it('stops at the daily cap: later anomalies are not called, say why, and are dead-lettered so the alarm sees them', async () => {
    // Prepare: cap of 3, no cooldown so every anomaly would ring
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 3 });
    const messages = [];
    for (let i = 0; i < 5; i += 1) messages.push(await queuedInspection(`station-${i}`));
    // Act
    await handler(sqsEvent(messages.map((message) => ({ body: JSON.stringify(message) }))));
    // Assess
    expect(caller.placed).toHaveLength(3);
    const failed = messages.filter((message) => store.records.get(message.inspectionId)?.alert.status === 'failed');
    expect(failed).toHaveLength(2);
    for (const message of failed) {
      expect(store.records.get(message.inspectionId)?.alert).toMatchObject({
        code: 'DAILY_CALL_CAP_REACHED',
        reason: expect.stringContaining('daily cap of 3'),
      });
    }
    expect(queue.deadLetters.map((letter) => letter.code)).toEqual(['DAILY_CALL_CAP_REACHED', 'DAILY_CALL_CAP_REACHED']);
  });

  it('holds a flooding station to its own daily cap, keeps ringing the other stations, and tells people once per limit', async () => {
    // Prepare: station A's cap is 2 (its registry entry), B uses the stage's; the ceiling is 10.
    const caller = new ScriptedCaller();
    const stations: Record<string, Station> = {
      A: { id: 'A', name: 'Litho A', dailyCallCap: 2, escalation: [{ contacts: [{ name: 'Ann', phone: '+15555550111' }] }] },
      B: { id: 'B', name: 'Etch B', escalation: [{ contacts: [{ name: 'Bob', phone: '+15555550112' }] }] },
    };
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 10, stationDailyCallCap: 5 }, stations);
    const flood = [];
    for (let i = 0; i < 6; i += 1) flood.push(await queuedInspection('A'));
    const genuine = await queuedInspection('B');

    // Act
    await handler(sqsEvent(flood.map((message) => ({ body: JSON.stringify(message) }))));
    await handler(sqsEvent([{ body: JSON.stringify(genuine) }]));

    // Assess: A rang twice, B's anomaly rang, the four refused anomalies say why and reached a person as a notice.
    expect(caller.placed.map((call) => call.stationId)).toEqual(['A', 'A', 'B']);
    const refused = flood.filter((message) => store.records.get(message.inspectionId)?.alert.status === 'failed');
    expect(refused).toHaveLength(4);
    expect(store.records.get(refused[0]!.inspectionId)?.alert).toMatchObject({
      code: 'DAILY_CALL_CAP_REACHED',
      reason: expect.stringContaining('daily cap of 2 operator calls for station Litho A'),
    });
    expect(notifier.capNotices).toEqual([expect.objectContaining({ limit: 'station', stationId: 'A', stationName: 'Litho A', cap: 2 })]);
    expect(notifier.notices.filter((notice) => notice.status === 'failed')).toHaveLength(4);
  });

  it('tells people when the ceiling over all stations is reached, once a day', async () => {
    // Prepare
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 1, stationDailyCallCap: 5 });

    // Act
    for (const station of ['s-1', 's-2', 's-3']) await handler(sqsEvent([{ body: JSON.stringify(await queuedInspection(station)) }]));

    // Assess
    expect(caller.placed).toHaveLength(1);
    expect(notifier.capNotices).toEqual([expect.objectContaining({ limit: 'all-stations', cap: 1 })]);
  });

  it('counts the cap per UTC day: the next day rings again', async () => {
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 1 });
    await handler(sqsEvent([{ body: JSON.stringify(await queuedInspection('day-a')) }]));
    await handler(sqsEvent([{ body: JSON.stringify(await queuedInspection('day-b')) }]));
    clock += 24 * 3_600_000;
    await handler(sqsEvent([{ body: JSON.stringify(await queuedInspection('day-c')) }]));

    expect(caller.placed.map((alert) => alert.stationId)).toEqual(['day-a', 'day-c']);
  });

  it('tries a refused alert again when a person moves it back from the dead-letter queue, and never rings a placed one twice', async () => {
    // Prepare: Connect refuses (the destination was not allowed yet), the message is parked
    const caller = new ScriptedCaller([new OperatorCallFailedError('DestinationNotAllowedException', false)]);
    const message = await queuedInspection('redrive');
    const handler = handlerWith(caller);
    await handler(sqsEvent([{ body: JSON.stringify(message) }]));
    const [parked] = queue.deadLetters;

    // Act: the destination is allowed now; the operator redrives the dead-letter queue, twice by mistake
    const redriven = await handler(sqsEvent([{ body: parked!.body, redriven: parked!.code }]));
    const again = await handler(sqsEvent([{ body: parked!.body, redriven: parked!.code }]));
    // and a plain duplicate of the original message arrives
    const duplicate = await handler(sqsEvent([{ body: JSON.stringify(message) }]));

    // Assess
    expect(parked?.code).toBe('CALL_REFUSED');
    expect([redriven, again, duplicate].map((response) => response.batchItemFailures)).toEqual([[], [], []]);
    expect(caller.placed).toHaveLength(1);
    expect(ringing(message.inspectionId)).toMatchObject({
      status: 'ringing',
      attempts: [{ outcome: 'not-started' }, { contactId: `contact-${message.inspectionId}` }],
    });
    expect(queue.deadLetters).toHaveLength(1);
  });

  it('caps a capped alert again when it is redriven the same day, and rings it when redriven the next day', async () => {
    // Prepare: a cap of 1, used by the first anomaly; the second is capped and parked
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 1 });
    await handler(sqsEvent([{ body: JSON.stringify(await queuedInspection('cap-a')) }]));
    const capped = await queuedInspection('cap-b');
    await handler(sqsEvent([{ body: JSON.stringify(capped) }]));

    // Act
    await handler(sqsEvent([{ body: JSON.stringify(capped), redriven: 'DAILY_CALL_CAP_REACHED' }]));
    const sameDay = store.records.get(capped.inspectionId)?.alert;
    clock += 24 * 3_600_000;
    await handler(sqsEvent([{ body: JSON.stringify(capped), redriven: 'DAILY_CALL_CAP_REACHED' }]));

    // Assess
    expect(sameDay).toMatchObject({ status: 'failed', code: 'DAILY_CALL_CAP_REACHED' });
    expect(queue.deadLetters.map((letter) => letter.code)).toEqual(['DAILY_CALL_CAP_REACHED', 'DAILY_CALL_CAP_REACHED']);
    expect(caller.placed.map((alert) => alert.stationId)).toEqual(['cap-a', 'cap-b']);
    expect(store.records.get(capped.inspectionId)?.alert.status).toBe('ringing');
  });

  it('dead-letters a message that is not an alert without calling anyone', async () => {
    const caller = new ScriptedCaller();
    const bodies = ['not json', '{}', JSON.stringify({ inspectionId: '../../etc', stationId: 'x', confidencePercent: 50, queuedAt: 'now' })];

    const response = await handlerWith(caller)(sqsEvent(bodies.map((body) => ({ body }))));

    expect(response.batchItemFailures).toEqual([]);
    expect(caller.attempts).toBe(0);
    expect(queue.deadLetters.map((letter) => [letter.body, letter.code])).toEqual(bodies.map((body) => [body, 'MALFORMED_ALERT_MESSAGE']));
  });

  it('fails only the message whose dependency failed, and the redelivery records the call without ringing again', async () => {
    // Prepare: the record store fails for the first message's final write (by its id: the batch's messages run at once)
    const caller = new ScriptedCaller();
    const broken = await queuedInspection('store-a');
    const fine = await queuedInspection('store-b');
    store.failRecordPutsOf.set(broken.inspectionId, 1);
    const handler = handlerWith(caller);
    // Act
    const response = await handler(sqsEvent([{ body: JSON.stringify(broken) }, { body: JSON.stringify(fine) }]));
    const redelivered = await handler(sqsEvent([{ body: JSON.stringify(broken), receiveCount: 2 }]));
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(redelivered.batchItemFailures).toEqual([]);
    // The ladder remembers the started call: Connect is not asked again (a reused token rings anew once a call ended).
    expect(caller.placed.map((alert) => alert.inspectionId).sort()).toEqual([broken.inspectionId, fine.inspectionId].sort());
    expect(ringing(broken.inspectionId)).toMatchObject({ status: 'ringing', attempts: [{ contactId: `contact-${broken.inspectionId}`, outcome: 'ringing' }] });
    expect(store.records.get(fine.inspectionId)?.alert.status).toBe('ringing');
  });

  it('writes the outcome back when a duplicate delivery finds the record reverted to queued by a racing upload', async () => {
    // Prepare: the call is placed, then a second upload of the same bytes rewrites the verdict as queued
    const caller = new ScriptedCaller();
    const message = await queuedInspection('race');
    const handler = handlerWith(caller);
    await handler(sqsEvent([{ body: JSON.stringify(message) }]));
    const placed = store.records.get(message.inspectionId)!.alert;
    await store.putRecord({ ...store.records.get(message.inspectionId)!, alert: { status: 'queued', queuedAt: new Date(clock).toISOString() } });
    // Act: that upload's own alert message
    const response = await handler(sqsEvent([{ body: JSON.stringify(message) }]));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(caller.placed).toHaveLength(1);
    expect(store.records.get(message.inspectionId)?.alert).toEqual(placed);
  });

  it('keeps the operator decision recorded while the call was being placed', async () => {
    // Prepare: the operator answers before place-call writes the placed outcome
    const message = await queuedInspection('fast-answer');
    const caller: OperatorCaller = {
      startCall: async () => {
        const record = store.records.get(message.inspectionId)!;
        await store.putRecord({ ...record, decision: { decision: 'scrap', key: '2', contactId: 'c-1', decidedAt: new Date(clock).toISOString() } });
        return { contactId: 'c-1' };
      },
    };
    // Act
    await handlerWith(caller)(sqsEvent([{ body: JSON.stringify(message) }]));
    // Assess
    expect(store.records.get(message.inspectionId)).toMatchObject({
      alert: { status: 'ringing', attempts: [{ contactId: 'c-1' }] },
      decision: { decision: 'scrap' },
    });
  });
});

describe('place-call handler: one batch', () => {
  /** A caller that logs each call's start and end, and holds the call of one inspection until it is released. */
  class GatedCaller implements OperatorCaller {
    readonly log: string[] = [];
    private release: () => void = () => undefined;
    private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
    constructor(
      private readonly held: string,
      private readonly failure?: (call: OutboundCall) => Error | undefined,
    ) {}
    async startCall(call: OutboundCall) {
      this.log.push(`start ${call.inspectionId}`);
      if (call.inspectionId === this.held) await this.gate;
      this.log.push(`end ${call.inspectionId}`);
      const failure = this.failure?.(call);
      if (failure) throw failure;
      return { contactId: `contact-${call.inspectionId}` };
    }
    open() {
      this.release();
    }
  }

  it("handles other stations' messages while one station's call lasts, and that station's next message only after it", async () => {
    // Prepare: two anomalies of litho-a (no cooldown, so both ring) and one of litho-b; litho-a's first call hangs
    const [a1, a2, b1] = [await queuedInspection('litho-a'), await queuedInspection('litho-a'), await queuedInspection('litho-b')];
    const caller = new GatedCaller(a1.inspectionId);
    const handler = handlerWith(caller, { stationCooldownMs: 0, dailyCallCap: 10 });
    // Act
    const running = handler(sqsEvent([a1, a2, b1].map((message) => ({ body: JSON.stringify(message) }))));
    // The two stations' messages run at once, so either call may start first: wait for both, not for an order
    await vi.waitFor(() => {
      expect(caller.log).toContain(`start ${a1.inspectionId}`);
      expect(store.records.get(b1.inspectionId)?.alert.status).toBe('ringing');
    });
    const whileHeld = [...caller.log];
    caller.open();
    const response = await running;
    // Assess
    expect(whileHeld.toSorted()).toEqual([`end ${b1.inspectionId}`, `start ${a1.inspectionId}`, `start ${b1.inspectionId}`].toSorted());
    expect(whileHeld.indexOf(`start ${b1.inspectionId}`)).toBeLessThan(whileHeld.indexOf(`end ${b1.inspectionId}`));
    expect(caller.log.slice(whileHeld.length)).toEqual([`end ${a1.inspectionId}`, `start ${a2.inspectionId}`, `end ${a2.inspectionId}`]);
    expect(response.batchItemFailures).toEqual([]);
    expect([a1, a2, b1].map((message) => store.records.get(message.inspectionId)?.alert.status)).toEqual(['ringing', 'ringing', 'ringing']);
  });

  it('reports every message of a batch in which all failed, in batch order, instead of throwing', async () => {
    // Prepare: both calls are throttled; the first station's ends last
    const [first, second] = [await queuedInspection('busy-a'), await queuedInspection('busy-b')];
    const caller = new GatedCaller(first.inspectionId, () => new OperatorCallFailedError('LimitExceededException', true));
    const handler = handlerWith(caller);
    // Act
    const running = handler(sqsEvent([{ body: JSON.stringify(first) }, { body: JSON.stringify(second) }]));
    await vi.waitFor(() => expect(queue.delays).toHaveLength(1));
    caller.open();
    const response = await running;
    // Assess
    expect(queue.delays.map((delay) => delay.receiptHandle)).toEqual(['r-1', 'r-0']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }]);
    expect(queue.deadLetters).toEqual([]);
  });
});

describe('place-call handler: escalation ladders', () => {
  const escalate = (inspectionId: string, fromStep: number) =>
    JSON.stringify({ kind: 'escalate', inspectionId, stationId: 'ladder-1', fromStep, reason: 'ack-timeout', queuedAt: new Date(clock).toISOString() });

  it('rings every contact of level 1 together, then level 2 at its timer, then gives up once and notifies people once', async () => {
    // Prepare
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { escalationLoops: 1 }, { 'ladder-1': LADDER });
    const message = await queuedInspection('ladder-1');
    // Act
    await handler(sqsEvent([{ body: JSON.stringify(message) }]));
    const level1 = caller.placed.map((call) => call.contactName);
    await handler(sqsEvent([{ body: escalate(message.inspectionId, 0) }]));
    await handler(sqsEvent([{ body: escalate(message.inspectionId, 0) }])); // a duplicate timer
    const level2 = caller.placed.slice(2).map((call) => call.contactName);
    await handler(sqsEvent([{ body: escalate(message.inspectionId, 1) }]));
    await handler(sqsEvent([{ body: escalate(message.inspectionId, 1) }]));
    // Assess
    expect(level1).toEqual(['Operator A', 'Operator B']);
    expect(level2).toEqual(['Shift lead']);
    expect(caller.placed).toHaveLength(3);
    expect(caller.placed.map((call) => [call.stationName, call.level, call.loop, call.step, call.index])).toEqual([
      ['Ladder one', 1, 1, 0, 0],
      ['Ladder one', 1, 1, 0, 1],
      ['Ladder one', 2, 1, 1, 0],
    ]);
    expect(store.records.get(message.inspectionId)?.alert).toMatchObject({
      status: 'unacknowledged',
      attempts: [{ contactName: 'Operator A' }, { contactName: 'Operator B' }, { contactName: 'Shift lead' }],
    });
    expect(notifier.notices).toEqual([expect.objectContaining({ inspectionId: message.inspectionId, stationName: 'Ladder one', status: 'unacknowledged' })]);
    expect(timers.published.map((timer) => [timer.message.kind, 'fromStep' in timer.message ? timer.message.fromStep : undefined, timer.delaySeconds])).toEqual(
      [
        ['escalate', 0, 120],
        ['escalate', 1, 120],
      ],
    );
  });

  it('tells people when SNS fails the first time: the redelivered timer notifies, then the record says unacknowledged', async () => {
    // Prepare: a one-level, one-round ladder rang; its timer runs out while SNS is down
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, { escalationLoops: 1 });
    const message = await queuedInspection('sns-down');
    await handler(sqsEvent([{ body: JSON.stringify(message) }]));
    notifier.failNext = 1;
    const timer = JSON.stringify({
      kind: 'escalate',
      inspectionId: message.inspectionId,
      stationId: 'sns-down',
      fromStep: 0,
      reason: 'ack-timeout',
      queuedAt: new Date(clock).toISOString(),
    });
    // Act
    const first = await handler(sqsEvent([{ body: timer, receiveCount: 1 }]));
    const statusAfterFailure = store.records.get(message.inspectionId)?.alert.status;
    const again = await handler(sqsEvent([{ body: timer, receiveCount: 2 }]));
    const duplicate = await handler(sqsEvent([{ body: timer, receiveCount: 3 }]));
    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(statusAfterFailure).toBe('ringing');
    expect([again.batchItemFailures, duplicate.batchItemFailures]).toEqual([[], []]);
    expect(notifier.notices).toEqual([expect.objectContaining({ inspectionId: message.inspectionId, status: 'unacknowledged' })]);
    expect(store.records.get(message.inspectionId)?.alert.status).toBe('unacknowledged');
  });

  it('rings only who is on shift, skips a level with nobody on shift, and rings everyone when the whole ladder is off shift', async () => {
    // Prepare: 12:00 UTC on a Thursday; Operator B works nights, level 1's other contact only at weekends
    const station: Station = {
      id: 'shifts-1',
      name: 'Shifts one',
      escalation: [
        { contacts: [{ name: 'Weekend operator', phone: '+15555550104', shifts: [{ timeZone: 'UTC', days: ['sat', 'sun'], from: '00:00', to: '00:00' }] }] },
        {
          contacts: [
            { name: 'Day lead', phone: '+15555550105', shifts: [{ timeZone: 'Europe/Berlin', from: '06:00', to: '18:00' }] },
            { name: 'Night lead', phone: '+15555550106', shifts: [{ timeZone: 'Europe/Berlin', from: '18:00', to: '06:00' }] },
          ],
        },
      ],
    };
    const nobody: Station = {
      id: 'nobody-1',
      name: 'Nobody one',
      escalation: [{ contacts: [{ name: 'Weekend only', phone: '+15555550107', shifts: [{ timeZone: 'UTC', days: ['sun'], from: '08:00', to: '09:00' }] }] }],
    };
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller, {}, { 'shifts-1': station, 'nobody-1': nobody });
    // Act
    const first = await queuedInspection('shifts-1');
    await handler(sqsEvent([{ body: JSON.stringify(first) }]));
    const second = await queuedInspection('nobody-1');
    await handler(sqsEvent([{ body: JSON.stringify(second) }]));
    // Assess
    expect(caller.placed.map((call) => [call.stationId, call.contactName, call.level])).toEqual([
      ['shifts-1', 'Day lead', 2],
      ['nobody-1', 'Weekend only', 1],
    ]);
    expect(ringing(first.inspectionId)).toMatchObject({ status: 'ringing', level: 2, loop: 1 });
  });

  it('goes to the next level at once when every call of a level is refused', async () => {
    const caller = new ScriptedCaller([
      new OperatorCallFailedError('DestinationNotAllowedException', false),
      new OperatorCallFailedError('DestinationNotAllowedException', false),
    ]);
    const handler = handlerWith(caller, {}, { 'ladder-1': LADDER });
    const message = await queuedInspection('ladder-1');

    await handler(sqsEvent([{ body: JSON.stringify(message) }]));

    expect(caller.placed.map((call) => call.contactName)).toEqual(['Shift lead']);
    expect(ringing(message.inspectionId).attempts.map((attempt) => [attempt.contactName, attempt.outcome])).toEqual([
      ['Operator A', 'not-started'],
      ['Operator B', 'not-started'],
      ['Shift lead', 'ringing'],
    ]);
    expect(queue.deadLetters).toEqual([]);
  });

  it('puts a cooldown end that is not due back on the queue, and a due one with nothing folded rings nobody', async () => {
    const caller = new ScriptedCaller();
    const handler = handlerWith(caller);
    const dueAt = new Date(clock + 2_000_000).toISOString();
    await handler(sqsEvent([{ body: JSON.stringify({ kind: 'cooldown-end', stationId: 'quiet-1', dueAt, queuedAt: dueAt }) }]));
    const due = new Date(clock).toISOString();
    await handler(sqsEvent([{ body: JSON.stringify({ kind: 'cooldown-end', stationId: 'quiet-1', dueAt: due, queuedAt: due }) }]));

    expect(timers.published).toEqual([
      { message: { kind: 'cooldown-end', stationId: 'quiet-1', dueAt, queuedAt: new Date(clock).toISOString() }, delaySeconds: 900 },
    ]);
    expect(caller.attempts).toBe(0);
  });
});

describe('backoffSeconds', () => {
  it('doubles from the base, stays within ±20 % jitter and stops at 15 minutes', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, 10, () => 0.5))).toEqual([10, 20, 40, 80]);
    expect(backoffSeconds(1, 10, () => 0)).toBe(8);
    expect(backoffSeconds(1, 10, () => 1)).toBe(12);
    expect(backoffSeconds(20, 10, () => 0.5)).toBe(900);
    expect(backoffSeconds(3, 0, () => 0.5)).toBe(0);
  });
});
