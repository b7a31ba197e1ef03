import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionRecord } from '../../../functions/core/inspection';
import { startAlertingStack, type AlertingStack } from '../../helpers/alerting-stack';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

// The fault-injection cases, end to end on the wire: POST /inspections through the production wiring, the
// alert queue delivered to place-call by an event-source stand-in, and faults injected by the stand-ins themselves
// (s3rver behind a fault proxy, the Lookout for Vision and Connect emulators, the SQS emulator). Every case checks
// the same three things: each accepted image stored exactly once with a record, the exact number of calls, and each
// failure visible in the record or the dead-letter queue.

let stack: AlertingStack;
let grey = 20;

/** A wafer the Lookout emulator calls anomalous; each call gives different bytes. */
async function anomalousWafer(): Promise<Uint8Array> {
  grey += 1;
  return (await makeTestWaferImage({ width: 128, height: 96, redMarkSide: 24, grey })).bytes;
}

async function recordsOf(stationId: string): Promise<InspectionRecord[]> {
  return (await stack.records()).filter((record) => record.stationId === stationId);
}

function callsFor(stationId: string) {
  return stack.standIns.connect.calls().filter((call) => call.attributes.stationId === stationId);
}

async function imagesOf(stationId: string): Promise<string[]> {
  const keys = await stack.imageKeys();
  const mine = new Set((await recordsOf(stationId)).map((record) => record.image.key));
  return keys.filter((key) => mine.has(key));
}

beforeAll(async () => {
  // Connect's own SDK retries are kept (3 attempts); the queue's backoff starts at 10 s, passed by the test clock.
  // One loop of the default station's one-operator ladder: a refused call is the alert's only chance, as before ladders,
  // so the refusal cases below park it (tests/integration/alerting/escalation-ladder.test.ts runs longer ladders).
  stack = await startAlertingStack({ env: { STATION_CALL_COOLDOWN_SECONDS: '300', DAILY_CALL_CAP: '100', ESCALATION_LOOPS: '1' } });
});

afterAll(async () => {
  await stack?.close();
});

describe('alerting under injected faults', () => {
  it('keeps the image when the detector is throttled, and inspects it once it recovers: one image, one record, one call', async () => {
    // Prepare: more throttling than the SDK's three attempts absorb
    const bytes = await anomalousWafer();
    stack.standIns.lookout.failNext(3, 'ThrottlingException');

    // Act
    const refused = await stack.upload(bytes, 'fault-detector');
    const retried = await stack.upload(bytes, 'fault-detector');
    await stack.drainAlerts();

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(refused.body.error.code).toBe('DETECTOR_UNAVAILABLE');
    const inspectionId = refused.body.error.inspectionId as string;
    expect(retried.statusCode).toBe(201);
    expect(retried.body.inspectionId).toBe(inspectionId);
    const records = await recordsOf('fault-detector');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ inspectionId, status: 'anomalous', alert: { status: 'ringing' } });
    expect(await imagesOf('fault-detector')).toHaveLength(1);
    expect(callsFor('fault-detector')).toHaveLength(1);
  });

  it('rings once when Connect answers LimitExceededException twice, then once more after a queue-level retry', async () => {
    // Prepare: two refusals the SDK retries inside one attempt; then five, which outlast one attempt (3 tries)
    const first = await anomalousWafer();
    const second = await anomalousWafer();

    // Act
    stack.standIns.connect.failNext(2, 'LimitExceededException');
    const a = await stack.upload(first, 'fault-limit-a');
    const drainedA = await stack.drainAlerts();
    stack.standIns.connect.failNext(5, 'LimitExceededException');
    const b = await stack.upload(second, 'fault-limit-b');
    const drainedB = await stack.drainAlerts();

    // Assess
    expect(a.body.alert).toMatchObject({ status: 'queued' });
    expect(drainedA.failed).toBe(0);
    // The second alert went back to the queue once (backoff), then rang.
    expect(drainedB.failed).toBe(1);
    expect(drainedB.received).toBe(2);
    for (const [station, id] of [
      ['fault-limit-a', a.body.inspectionId],
      ['fault-limit-b', b.body.inspectionId],
    ] as const) {
      expect(callsFor(station)).toHaveLength(1);
      const [record] = await recordsOf(station);
      expect(record).toMatchObject({ inspectionId: id, alert: { status: 'ringing', attempts: [{ contactId: callsFor(station)[0]!.contactId }] } });
      expect(await imagesOf(station)).toHaveLength(1);
    }
    expect(stack.deadLetters().filter((letter) => String(letter.body.stationId).startsWith('fault-limit'))).toEqual([]);
  });

  it('parks an alert Connect refuses for good in the dead-letter queue, with the reason on the record, and rings for the next anomaly', async () => {
    // Prepare
    stack.standIns.connect.failNext(1, 'DestinationNotAllowedException');
    const refusedBytes = await anomalousWafer();
    const nextBytes = await anomalousWafer();

    // Act
    const refused = await stack.upload(refusedBytes, 'fault-refused');
    await stack.drainAlerts();
    const next = await stack.upload(nextBytes, 'fault-refused');
    await stack.drainAlerts();

    // Assess
    const byId = new Map((await recordsOf('fault-refused')).map((record) => [record.inspectionId, record]));
    expect(byId.get(refused.body.inspectionId)?.alert).toMatchObject({
      status: 'failed',
      code: 'CALL_REFUSED',
      reason: expect.stringContaining('DestinationNotAllowedException'),
    });
    const letters = stack.deadLetters().filter((letter) => letter.body.inspectionId === refused.body.inspectionId);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ code: 'CALL_REFUSED', reason: expect.stringContaining('not an allowed destination') });
    // Nobody heard the refused call, so the station is not in cooldown: the next anomaly rings, and says one more wafer.
    expect(byId.get(next.body.inspectionId)?.alert).toMatchObject({ status: 'ringing', foldedCount: 1 });
    expect(callsFor('fault-refused')).toHaveLength(1);
    expect(callsFor('fault-refused')[0]?.attributes.foldedAnomalies).toBe('1');
    expect(await imagesOf('fault-refused')).toHaveLength(2);
  });

  it('rings once for a refused alert after the cause is fixed and the dead-letter queue is redriven, and only once', async () => {
    // Prepare: the destination is not allowed yet
    stack.standIns.connect.failNext(1, 'DestinationNotAllowedException');
    const refused = await stack.upload(await anomalousWafer(), 'fault-redrive');
    await stack.drainAlerts();
    const parkedBefore = stack.deadLetters().filter((letter) => letter.body.inspectionId === refused.body.inspectionId);

    // Act: the operator allows the destination and redrives the dead-letter queue
    const mine = (body: Record<string, unknown>) => body.inspectionId === refused.body.inspectionId;
    const moved = stack.redriveDeadLetters(mine);
    await stack.drainAlerts();
    stack.redriveDeadLetters(mine);
    await stack.drainAlerts();

    // Assess
    expect(parkedBefore).toHaveLength(1);
    expect(moved).toBe(1);
    expect(callsFor('fault-redrive')).toHaveLength(1);
    const [record] = await recordsOf('fault-redrive');
    expect(record?.alert).toMatchObject({ status: 'ringing', attempts: [{ outcome: 'not-started' }, { contactId: callsFor('fault-redrive')[0]!.contactId }] });
    expect(stack.deadLetters().filter((letter) => letter.body.inspectionId === refused.body.inspectionId)).toEqual([]);
  });

  it('answers 503 when the record cannot be written, and the re-sent image finishes the same inspection: one image, one record, one call', async () => {
    // Prepare: the record write fails past the SDK's retries (3 attempts)
    const bytes = await anomalousWafer();
    stack.s3Faults.failNext(3, { method: 'PUT', key: /\.json$/ });

    // Act
    const failed = await stack.upload(bytes, 'fault-s3');
    const resent = await stack.upload(bytes, 'fault-s3');
    await stack.drainAlerts();

    // Assess
    expect(failed.statusCode).toBe(503);
    expect(failed.body.error.code).toBe('STORAGE_UNAVAILABLE');
    expect(resent.statusCode).toBe(201);
    const records = await recordsOf('fault-s3');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ inspectionId: resent.body.inspectionId, alert: { status: 'ringing' } });
    expect(await imagesOf('fault-s3')).toHaveLength(1);
    expect(callsFor('fault-s3')).toHaveLength(1);
  });

  it('absorbs one failed S3 write inside the SDK retries without a trace in the result', async () => {
    const bytes = await anomalousWafer();
    stack.s3Faults.failNext(1, { method: 'PUT', key: /\.json$/ });

    const response = await stack.upload(bytes, 'fault-s3-once');
    await stack.drainAlerts();

    expect(response.statusCode).toBe(201);
    expect(await recordsOf('fault-s3-once')).toHaveLength(1);
    expect(await imagesOf('fault-s3-once')).toHaveLength(1);
    expect(callsFor('fault-s3-once')).toHaveLength(1);
  });

  it('rings once when SQS delivers the same alert message twice', async () => {
    // Prepare
    const bytes = await anomalousWafer();
    const response = await stack.upload(bytes, 'fault-redelivery');
    stack.alerts.sqs.duplicateNextDeliveries(1);

    // Act
    const drained = await stack.drainAlerts();

    // Assess
    expect(drained.received).toBe(2);
    expect(callsFor('fault-redelivery')).toHaveLength(1);
    const [record] = await recordsOf('fault-redelivery');
    expect(record).toMatchObject({ inspectionId: response.body.inspectionId, alert: { status: 'ringing' } });
    // Only ladder timers are left on the queue, none for this alert's message itself.
    expect(stack.alerts.sqs.messages(stack.alerts.alertQueueUrl).filter((message) => !message.body.includes('"kind"'))).toEqual([]);
  });

  it('answers the same image uploaded twice with the first inspection: one image, one record, one call', async () => {
    // Prepare
    const bytes = await anomalousWafer();

    // Act
    const first = await stack.upload(bytes, 'fault-same-image');
    const second = await stack.upload(bytes, 'fault-same-image');
    await stack.drainAlerts();

    // Assess
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.body.inspectionId).toBe(first.body.inspectionId);
    expect(await recordsOf('fault-same-image')).toHaveLength(1);
    expect(await imagesOf('fault-same-image')).toHaveLength(1);
    expect(callsFor('fault-same-image')).toHaveLength(1);
  });

  it('rings once for 20 anomalies on one station inside the cooldown, and tells the other 19 when it ends, without another anomaly', async () => {
    // Prepare
    const wafers = await Promise.all(Array.from({ length: 20 }, () => anomalousWafer()));

    // Act: four cameras' worth of uploads at a time, then the cooldown runs out
    const responses = [];
    for (let i = 0; i < wafers.length; i += 4) {
      responses.push(...(await Promise.all(wafers.slice(i, i + 4).map((bytes) => stack.upload(bytes, 'fault-burst')))));
    }
    await stack.drainAlerts();
    const callsInCooldown = callsFor('fault-burst').length;
    await stack.answerWithKey(callsFor('fault-burst')[0]!.contactId, '1');
    stack.advance(6 * 60_000);
    await stack.drainAlerts();

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(201));
    expect(callsInCooldown).toBe(1);
    const records = await recordsOf('fault-burst');
    expect(records).toHaveLength(20);
    expect(await imagesOf('fault-burst')).toHaveLength(20);
    const statuses = records.map((record) => record.alert.status).sort();
    expect(statuses.filter((status) => status === 'acknowledged')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'ringing')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'folded')).toHaveLength(18);
    const calls = callsFor('fault-burst');
    expect(calls).toHaveLength(2);
    // Newest first: the call at the cooldown's end is about the newest folded wafer and says 19 anomalous wafers.
    const folded = records
      .filter((record) => record.inspectionId !== calls[1]?.attributes.inspectionId)
      .map((record) => record.inspectionId)
      .sort();
    expect(calls[0]?.attributes).toMatchObject({ callKind: 'folded', foldedAnomalies: '19', inspectionId: folded.at(-1) });
    expect(records.find((record) => record.inspectionId === folded.at(-1))?.alert).toMatchObject({ status: 'ringing', callKind: 'folded', foldedCount: 19 });
  });
});
