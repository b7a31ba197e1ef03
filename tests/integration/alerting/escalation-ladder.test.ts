import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcknowledgedAlert, InspectionRecord, RingingAlert, UnacknowledgedAlert } from '../../../functions/core/inspection';
import { startAlertingStack, type AlertingStack } from '../../helpers/alerting-stack';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

// Escalation ladders end to end on the wire: POST /inspections through the production wiring, the alert queue (with
// its delayed timer messages) delivered to place-call, StartOutboundVoiceContact to the Connect emulator, the
// emulator's contact events (in EventBridge's shape) through the contact-events function, keys through record-decision,
// the ladders and stations in dynalite, the unacknowledged notice on the SNS emulator. The clock is the test's: an
// acknowledgement timeout passes by advance(), never by sleeping.

const ACK_TIMEOUT_SECONDS = 120;
const REGISTRY = {
  stations: [
    // The minimum file, as is: two levels of one contact each.
    {
      id: 'litho-3',
      name: 'Litho three',
      escalation: [
        { name: 'Line operator', phone: '+15555550100' },
        { name: 'Shift lead', phone: '+15555550101' },
      ],
    },
    {
      id: 'etch-1',
      name: 'Etch one',
      escalation: [
        { name: 'Etch operator', phone: '+15555550110' },
        { name: 'Etch lead', phone: '+15555550111' },
      ],
    },
    {
      id: 'cmp-2',
      name: 'C M P two',
      escalation: [
        { name: 'CMP operator', phone: '+15555550120' },
        { name: 'CMP lead', phone: '+15555550121' },
      ],
    },
    {
      id: 'ion-1',
      name: 'Implant one',
      escalation: [
        { name: 'Implant operator', phone: '+15555550130' },
        { name: 'Implant lead', phone: '+15555550131' },
      ],
    },
    {
      id: 'dep-4',
      name: 'Deposition four',
      escalation: [
        {
          name: 'Operators',
          contacts: [
            { name: 'Operator A', phone: '+15555550140' },
            { name: 'Operator B', phone: '+15555550141' },
          ],
        },
        { name: 'Dep lead', phone: '+15555550142' },
      ],
    },
    { id: 'fold-1', name: 'Fold one', cooldownSeconds: 300, escalation: [{ name: 'Fold operator', phone: '+15555550150' }] },
    {
      id: 'restart-1',
      name: 'Restart one',
      escalation: [
        { name: 'Restart operator', phone: '+15555550170' },
        { name: 'Restart lead', phone: '+15555550171' },
      ],
    },
    {
      id: 'dup-1',
      name: 'Dup one',
      escalation: [
        { name: 'Dup operator', phone: '+15555550160' },
        { name: 'Dup lead', phone: '+15555550161' },
      ],
    },
  ],
};

let stack: AlertingStack;
let grey = 30;

/** A wafer the Lookout emulator calls anomalous; each call gives different bytes. */
async function anomalousWafer(): Promise<Uint8Array> {
  grey += 1;
  return (await makeTestWaferImage({ width: 128, height: 96, redMarkSide: 24, grey })).bytes;
}

async function recordOf(inspectionId: string): Promise<InspectionRecord> {
  const record = (await stack.records()).find((each) => each.inspectionId === inspectionId);
  if (!record) throw new Error(`no record ${inspectionId}`);
  return record;
}

function callsOf(stationId: string) {
  return stack.calls().filter((call) => call.attributes.stationId === stationId);
}

/** Let the acknowledgement timeout pass and deliver what falls due. */
async function timeoutPasses(): Promise<void> {
  stack.advance((ACK_TIMEOUT_SECONDS + 1) * 1000);
  await stack.drainAlerts();
}

async function anomalyOn(stationId: string, expected: 'queued' | 'folded' = 'queued'): Promise<string> {
  const uploaded = await stack.upload(await anomalousWafer(), stationId);
  expect(uploaded.statusCode).toBe(201);
  // Within a station's cooldown the upload itself answers folded: it never queues behind other stations' alerts.
  expect(uploaded.body.alert).toMatchObject({ status: expected });
  await stack.drainAlerts();
  return uploaded.body.inspectionId as string;
}

beforeAll(async () => {
  stack = await startAlertingStack({
    stations: REGISTRY,
    env: { ACK_TIMEOUT_SECONDS: String(ACK_TIMEOUT_SECONDS), ESCALATION_LOOPS: '2', STATION_CALL_COOLDOWN_SECONDS: '300', OPERATOR_COUNTRY_PREFIXES: '+1' },
  });
});

afterAll(async () => {
  await stack?.close();
});

describe('escalation ladders', () => {
  it('rings level 1 and, answered with a key, acknowledges once: who, which key, when; no timer rings anyone after', async () => {
    // Act
    const inspectionId = await anomalyOn('litho-3');
    const [call] = callsOf('litho-3');
    const ringing = (await recordOf(inspectionId)).alert as RingingAlert;
    const answer = await stack.answerWithKey(call!.contactId, '2');
    await timeoutPasses();
    await timeoutPasses();

    // Assess
    expect(call).toMatchObject({ destination: '+15555550100', contactName: 'Line operator', level: '1', loop: '1' });
    expect(call!.attributes).toMatchObject({ stationName: 'Litho three', callKind: 'anomaly', foldedAnomalies: '0' });
    expect(ringing).toMatchObject({
      status: 'ringing',
      level: 1,
      loop: 1,
      attempts: [{ contactName: 'Line operator', phone: '+1******0100', contactId: call!.contactId, outcome: 'ringing', level: 1, loop: 1 }],
    });
    expect(answer).toMatchObject({ status: 'recorded', decision: 'scrap' });
    const record = await recordOf(inspectionId);
    const alert = record.alert as AcknowledgedAlert;
    expect(alert).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: { contactName: 'Line operator', contactId: call!.contactId, key: '2', decision: 'scrap', level: 1, loop: 1 },
    });
    expect(alert.attempts).toEqual([expect.objectContaining({ contactId: call!.contactId, outcome: 'acknowledged', key: '2' })]);
    expect(record.decision).toMatchObject({ decision: 'scrap', key: '2', contactId: call!.contactId });
    expect(callsOf('litho-3')).toHaveLength(1);
    expect(stack.sns.published(stack.topicArn)).toEqual([]);
  });

  it('rings level 2 when level 1 does not answer within the timeout, and records the no-answer', async () => {
    // Act
    const inspectionId = await anomalyOn('etch-1');
    const [first] = callsOf('etch-1');
    await timeoutPasses();
    await stack.letRingOut(first!.contactId);
    const [, second] = callsOf('etch-1');
    await stack.answerWithKey(second!.contactId, '1');

    // Assess
    expect(callsOf('etch-1').map((call) => [call.contactName, call.level, call.loop])).toEqual([
      ['Etch operator', '1', '1'],
      ['Etch lead', '2', '1'],
    ]);
    const alert = (await recordOf(inspectionId)).alert as AcknowledgedAlert;
    expect(alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: { contactName: 'Etch lead', key: '1', decision: 'keep', level: 2 } });
    expect(alert.attempts?.map((attempt) => [attempt.contactName, attempt.outcome])).toEqual([
      ['Etch operator', 'no-answer'],
      ['Etch lead', 'acknowledged'],
    ]);
  });

  it('goes on at once when a call is answered and hung up without a key (no wait for the timeout)', async () => {
    // Act
    const inspectionId = await anomalyOn('cmp-2');
    const [first] = callsOf('cmp-2');
    await stack.hangUpWithoutKey(first!.contactId);
    await stack.drainAlerts();

    // Assess
    expect(callsOf('cmp-2').map((call) => call.contactName)).toEqual(['CMP operator', 'CMP lead']);
    const alert = (await recordOf(inspectionId)).alert as RingingAlert;
    expect(alert).toMatchObject({ status: 'ringing', level: 2, loop: 1 });
    expect(alert.attempts.map((attempt) => attempt.outcome)).toEqual(['ended-without-key', 'ringing']);
  });

  it('rings every level once per loop, then marks the alert unacknowledged and notifies the SNS topic once', async () => {
    // Act: nobody ever answers
    const inspectionId = await anomalyOn('ion-1');
    for (let step = 0; step < 4; step += 1) {
      const ringing = callsOf('ion-1').filter((call) => call.status === 'initiated');
      for (const call of ringing) await stack.letRingOut(call.contactId);
      await stack.drainAlerts();
    }
    await timeoutPasses();

    // Assess
    expect(callsOf('ion-1').map((call) => `${call.contactName}/${call.loop}`)).toEqual([
      'Implant operator/1',
      'Implant lead/1',
      'Implant operator/2',
      'Implant lead/2',
    ]);
    const alert = (await recordOf(inspectionId)).alert as UnacknowledgedAlert;
    expect(alert.status).toBe('unacknowledged');
    expect(alert.attempts.map((attempt) => attempt.outcome)).toEqual(['no-answer', 'no-answer', 'no-answer', 'no-answer']);
    const notices = stack.sns.published(stack.topicArn).filter((notice) => notice.attributes.inspectionId === inspectionId);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.subject).toContain('Implant one');
    expect(notices[0]!.message).not.toMatch(/\+1\d{10}/);
  });

  it('rings every contact of a level at once; the first key acknowledges, the other call hears it was decided', async () => {
    // Act
    const inspectionId = await anomalyOn('dep-4');
    const [a, b] = callsOf('dep-4');
    const first = await stack.answerWithKey(b!.contactId, '1');
    const second = await stack.answerWithKey(a!.contactId, '2');
    await timeoutPasses();

    // Assess
    expect([a!.contactName, b!.contactName]).toEqual(['Operator A', 'Operator B']);
    expect(first).toMatchObject({ status: 'recorded', decision: 'keep' });
    expect(second).toMatchObject({ status: 'conflict', decision: 'keep' });
    const record = await recordOf(inspectionId);
    expect(record.alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: { contactName: 'Operator B' } });
    expect(record.decision).toMatchObject({ decision: 'keep', contactId: b!.contactId });
    expect(callsOf('dep-4')).toHaveLength(2);
  });

  it('carries on a ladder after every function restarted mid-ladder: the next level rings at its timer', async () => {
    // Prepare: level 1 rings, then every container is thrown away
    const inspectionId = await anomalyOn('restart-1');
    stack.restartFunctions();
    // Act
    await timeoutPasses();
    const [, second] = callsOf('restart-1');
    await stack.answerWithKey(second!.contactId, '1');
    // Assess
    expect(callsOf('restart-1').map((call) => call.contactName)).toEqual(['Restart operator', 'Restart lead']);
    expect((await recordOf(inspectionId)).alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: { contactName: 'Restart lead' } });
  });

  it('moves a ladder once when contact events arrive twice and out of order', async () => {
    // Prepare
    const inspectionId = await anomalyOn('dup-1');
    const [first] = callsOf('dup-1');
    stack.standIns.connect.holdContactEvents();
    stack.standIns.connect.answerCall(first!.contactId);
    stack.standIns.connect.endCall(first!.contactId, 'hung-up');

    // Act: DISCONNECTED before CONNECTED_TO_SYSTEM, then every event of the call again
    stack.standIns.connect.releaseContactEvents({ order: 'reversed' });
    await stack.eventsSettled();
    for (const event of stack.standIns.connect.contactEvents(first!.contactId)) stack.standIns.connect.redeliverContactEvent(event);
    await stack.eventsSettled();
    await stack.drainAlerts();

    // Assess: one escalation, and the first call stays ended (a late CONNECTED does not reopen it)
    expect(callsOf('dup-1').map((call) => call.contactName)).toEqual(['Dup operator', 'Dup lead']);
    const alert = (await recordOf(inspectionId)).alert as RingingAlert;
    expect(alert.attempts.map((attempt) => attempt.outcome)).toEqual(['ended-without-key', 'ringing']);
  });

  it('tells anomalies folded during a cooldown when it ends, without another anomaly, and acknowledges them all with one key', async () => {
    // Prepare: one call, three anomalies within its cooldown
    const firstId = await anomalyOn('fold-1');
    const [firstCall] = callsOf('fold-1');
    await stack.answerWithKey(firstCall!.contactId, '1');
    const folded: string[] = [];
    for (let index = 0; index < 3; index += 1) folded.push(await anomalyOn('fold-1', 'folded'));
    const foldedBefore = await Promise.all(folded.map(async (id) => (await recordOf(id)).alert.status));

    // Act: the cooldown ends
    stack.advance(301_000);
    await stack.drainAlerts();
    const calls = callsOf('fold-1');
    await stack.answerWithKey(calls[1]!.contactId, '2');

    // Assess
    expect(foldedBefore).toEqual(['folded', 'folded', 'folded']);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.attributes).toMatchObject({ callKind: 'folded', foldedAnomalies: '3', inspectionId: folded[2] });
    for (const id of folded)
      expect((await recordOf(id)).alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: { contactName: 'Fold operator', key: '2' } });
    expect((await recordOf(firstId)).alert.status).toBe('acknowledged');
  });

  it('refuses an upload naming a station the registry does not have: 422 UNKNOWN_STATION, nothing stored or counted', async () => {
    // Prepare
    const before = (await stack.imageKeys()).length;
    // Act
    const unknown = await stack.upload(await anomalousWafer(), 'litho-99');
    const unnamed = await stack.upload(await anomalousWafer());
    // Assess
    expect(unknown.statusCode).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_STATION' });
    expect(unnamed.statusCode).toBe(422);
    expect(unnamed.body.error.code).toBe('UNKNOWN_STATION');
    expect((await stack.imageKeys()).length).toBe(before);
    expect(callsOf('litho-99')).toEqual([]);
  });
});
