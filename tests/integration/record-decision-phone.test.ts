import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectOperatorCaller } from '../../functions/adapters/connect/connect-operator-caller';
import { S3InspectionStore } from '../../functions/adapters/s3/s3-inspection-store';
import { ConnectEmulator, type ConnectContactEvent } from '../../local/emulators/connect-emulator';
import { createPhoneSimulator, type PhoneSessionView, type PhoneSimulator } from '../../local/phone/phone-simulator';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../helpers/local-aws-stand-ins';
import { anomalousRecord } from '../unit/contact-flow/flow-fixtures';

/** Serve one phone simulator over HTTP on a free port, as the local stack mounts it. */
async function servePhone(phone: PhoneSimulator): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    void phone.handle(request, response).then((handled) => {
      if (!handled) response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The local phone panel's server side: a call placed on the Connect emulator is answered, declined or hung up over
 * HTTP, keys are pressed, the shipped flow invokes the real record-decision entry, the record in S3 shows the decision,
 * and every step is a contact event from the emulator.
 */
describe('local phone simulator', () => {
  let standIns: LocalAwsStandIns;
  let store: S3InspectionStore;
  let caller: ConnectOperatorCaller;
  let phone: PhoneSimulator;
  let server: Server;
  let base: string;
  let getInspection: typeof import('../../functions/handlers/get-inspection').handler;
  const events: ConnectContactEvent[] = [];

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    for (const [key, value] of Object.entries(standIns.env)) vi.stubEnv(key, value);
    vi.stubEnv('OPERATOR_DEFAULT_DECISION', undefined);
    vi.resetModules();
    ({ handler: getInspection } = await import('../../functions/handlers/get-inspection'));
    // Calls placed straight through the adapter have no escalation ladder behind them: record-decision (imported on the
    // first key) then records the decision on the inspection alone; the ladder's acknowledgement is tested in
    // tests/integration/alerting.
    vi.stubEnv('ALERT_STATE_TABLE', undefined);
    store = new S3InspectionStore({ client: standIns.clients.s3, bucket: standIns.names.bucket });
    caller = new ConnectOperatorCaller({
      client: standIns.clients.connect,
      instanceId: standIns.names.connectInstanceId,
      contactFlowId: standIns.names.connectContactFlowId,
      sourcePhoneNumber: standIns.names.sourcePhoneNumber,
    });
    standIns.connect.onContactEvent((event) => events.push(event));
    phone = createPhoneSimulator({ calls: standIns.connect });
    ({ server, base } = await servePhone(phone));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    vi.unstubAllEnvs();
    await standIns?.close();
  });

  /** Store an anomalous record and place its call on the Connect emulator, as the place-call function does. */
  async function placedCall(confidencePercent = 91, foldedCount?: number) {
    const record = anomalousRecord({ stationId: 'etch-02' });
    await store.putRecord(record);
    const { contactId } = await caller.startCall({
      inspectionId: record.inspectionId,
      stationId: record.stationId,
      stationName: 'Etch two',
      confidencePercent,
      ...(foldedCount === undefined ? {} : { foldedCount }),
      callKind: 'anomaly',
      destinationPhoneNumber: standIns.names.operatorPhoneNumber,
      contactName: 'Line operator',
      level: 1,
      loop: 1,
      step: 0,
      index: 0,
    });
    return { record, contactId };
  }

  /** The contact events of one call so far: event type and disconnect reason. */
  const eventsOf = (contactId: string) =>
    events.filter((event) => event.detail.contactId === contactId).map((event) => [event.detail.eventType, event.detail.disconnectReason ?? null] as const);

  /** The route's JSON: a session, or an error body. */
  const json = async (response: Response) => (await response.json()) as PhoneSessionView & { error: { code: string; message: string } };

  const pressKey = (contactId: string, body: unknown) =>
    fetch(`${base}/_local/phone/${contactId}/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const post = (contactId: string, action: 'decline' | 'hangup') => fetch(`${base}/_local/phone/${contactId}/${action}`, { method: 'POST' });

  it('answering speaks station and confidence, pressing 1 records keep, the record shows it, and the flow hangs up', async () => {
    // Prepare
    const { record, contactId } = await placedCall();
    // Act
    const answered = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const reloaded = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const pressed = await pressKey(contactId, { key: '1' });
    // Assess
    expect(answered).toEqual({
      contactId,
      inspectionId: record.inspectionId,
      spoken: [
        'This is waferwatch. Etch two flagged a wafer. An anomaly was detected with 91 percent confidence.',
        'Press 1 to keep manufacturing. Press 2 to scrap the wafer.',
      ],
      awaiting: 'keypress',
      inputs: [],
      decision: null,
    });
    expect(reloaded).toEqual(answered);
    expect(pressed.status).toBe(200);
    const done = await json(pressed);
    expect(done).toMatchObject({ awaiting: 'done', inputs: ['1'], decision: { status: 'recorded', decision: 'keep', key: '1' } });
    expect(done.spoken.at(-1)).toBe('Thank you. Your decision is recorded: keep manufacturing. Goodbye.');
    const shown = await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: record.inspectionId } }), lambdaContext);
    expect(JSON.parse(shown.body).decision).toMatchObject({ decision: 'keep', key: '1', contactId });
    expect(standIns.connect.call(contactId)).toMatchObject({
      status: 'completed',
      disconnectReason: 'CONTACT_FLOW_DISCONNECT',
      decision: { status: 'recorded', decision: 'keep' },
    });
    expect(eventsOf(contactId)).toEqual([
      ['INITIATED', null],
      ['CONNECTED_TO_SYSTEM', null],
      ['DISCONNECTED', 'CONTACT_FLOW_DISCONNECT'],
    ]);
  });

  it('a call that carries anomalies folded during the cooldown says how many after the confidence, and 1 still records keep', async () => {
    // Prepare
    const { record, contactId } = await placedCall(88, 3);
    // Act
    const answered = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const done = await json(await pressKey(contactId, { key: '1' }));
    // Assess
    expect(answered.spoken).toEqual([
      'This is waferwatch. Etch two flagged a wafer. An anomaly was detected with 88 percent confidence.',
      '3 more anomalous wafers on this station since the last call.',
      'Press 1 to keep manufacturing. Press 2 to scrap the wafer.',
    ]);
    expect(done).toMatchObject({ awaiting: 'done', decision: { status: 'recorded', decision: 'keep', key: '1' } });
    expect((await store.getRecord(record.inspectionId))?.decision).toMatchObject({ decision: 'keep', key: '1', contactId });
  });

  it('a wrong key then 2 scraps; silence twice on another call ends it without a decision', async () => {
    const first = await placedCall();
    await fetch(`${base}/_local/phone/${first.contactId}`);
    const again = await json(await pressKey(first.contactId, { key: '5' }));
    expect(again).toMatchObject({ awaiting: 'keypress', inputs: ['5'] });
    expect(again.spoken.at(-1)).toMatch(/^Sorry, I did not get that/);
    expect(await json(await pressKey(first.contactId, { key: '2' }))).toMatchObject({ awaiting: 'done', decision: { decision: 'scrap' } });

    const second = await placedCall();
    await fetch(`${base}/_local/phone/${second.contactId}`);
    await pressKey(second.contactId, { key: 'timeout' });
    const silent = await json(await pressKey(second.contactId, { key: 'timeout' }));
    expect(silent).toMatchObject({ awaiting: 'done', inputs: ['timeout', 'timeout'], decision: null });
    expect((await store.getRecord(second.record.inspectionId))?.decision).toBeUndefined();
    expect(standIns.connect.call(second.contactId)).toMatchObject({ status: 'completed', disconnectReason: 'CONTACT_FLOW_DISCONNECT' });
    expect(eventsOf(second.contactId).at(-1)).toEqual(['DISCONNECTED', 'CONTACT_FLOW_DISCONNECT']);
  });

  it('declining a ringing call ends it unanswered (busy), and it can no longer be answered', async () => {
    // Prepare
    const { record, contactId } = await placedCall();
    // Act
    const declined = await post(contactId, 'decline');
    const answerLater = await fetch(`${base}/_local/phone/${contactId}`);
    const declineAgain = await post(contactId, 'decline');
    // Assess
    expect(declined.status).toBe(200);
    expect(await json(declined)).toEqual({ contactId, inspectionId: record.inspectionId, spoken: [], awaiting: 'done', inputs: [], decision: null });
    expect([answerLater.status, (await json(answerLater)).error]).toEqual([409, { code: 'CALL_ENDED', message: 'The call was declined; it has ended.' }]);
    expect(declineAgain.status).toBe(409);
    expect(standIns.connect.call(contactId)).toMatchObject({ status: 'declined', disconnectReason: 'TELECOM_BUSY' });
    expect(eventsOf(contactId)).toEqual([
      ['INITIATED', null],
      ['DISCONNECTED', 'TELECOM_BUSY'],
    ]);
    expect(events.find((event) => event.detail.contactId === contactId && event.detail.eventType === 'DISCONNECTED')?.detail).not.toHaveProperty(
      'connectedToSystemTimestamp',
    );
  });

  it('hanging up an answered call ends it without a key; keys and declining are refused afterwards', async () => {
    // Prepare
    const { record, contactId } = await placedCall();
    await fetch(`${base}/_local/phone/${contactId}`);
    // Act
    const declineAnswered = await post(contactId, 'decline');
    const hungUp = await post(contactId, 'hangup');
    const lateKey = await pressKey(contactId, { key: '1' });
    const hangUpAgain = await post(contactId, 'hangup');
    const reloaded = await json(await fetch(`${base}/_local/phone/${contactId}`));
    // Assess
    expect([declineAnswered.status, (await json(declineAnswered)).error.code]).toEqual([409, 'CALL_ANSWERED']);
    expect(hungUp.status).toBe(200);
    expect(await json(hungUp)).toMatchObject({ awaiting: 'done', inputs: [], decision: null });
    expect([lateKey.status, (await json(lateKey)).error.code]).toEqual([409, 'CALL_ENDED']);
    expect(hangUpAgain.status).toBe(409);
    expect(reloaded.awaiting).toBe('done');
    expect((await store.getRecord(record.inspectionId))?.decision).toBeUndefined();
    expect(standIns.connect.call(contactId)).toMatchObject({ status: 'completed', disconnectReason: 'CUSTOMER_DISCONNECT' });
    expect(eventsOf(contactId)).toEqual([
      ['INITIATED', null],
      ['CONNECTED_TO_SYSTEM', null],
      ['DISCONNECTED', 'CUSTOMER_DISCONNECT'],
    ]);
  });

  it('hanging up a ringing call declines it', async () => {
    // Prepare
    const { contactId } = await placedCall();
    // Act
    const response = await post(contactId, 'hangup');
    // Assess
    expect(response.status).toBe(200);
    expect(standIns.connect.call(contactId)).toMatchObject({ status: 'declined', disconnectReason: 'TELECOM_BUSY' });
  });

  it('a call nobody answers ends by itself after the ring timeout and can no longer be answered', async () => {
    // Prepare
    const emulator = new ConnectEmulator({ ringTimeoutMs: 100 });
    await emulator.start();
    const ringing = createPhoneSimulator({ calls: emulator });
    const served = await servePhone(ringing);
    try {
      const placed = await fetch(`${emulator.endpoint}/contact/outbound-voice`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          InstanceId: 'i',
          ContactFlowId: 'f',
          DestinationPhoneNumber: '+15555550100',
          SourcePhoneNumber: '+15555550199',
          Attributes: { inspectionId: 'x' },
        }),
      });
      const { ContactId: contactId } = (await placed.json()) as { ContactId: string };
      // Act
      await expect.poll(() => emulator.call(contactId)?.status, { timeout: 2_000 }).toBe('no-answer');
      const answer = await fetch(`${served.base}/_local/phone/${contactId}`);
      // Assess
      expect([answer.status, (await json(answer)).error]).toEqual([
        409,
        { code: 'CALL_ENDED', message: 'Nobody answered within the ring time; the call has ended.' },
      ]);
      expect(emulator.contactEvents(contactId).map((event) => [event.detail.eventType, event.detail.disconnectReason ?? null])).toEqual([
        ['INITIATED', null],
        ['DISCONNECTED', 'TELECOM_TIMEOUT'],
      ]);
    } finally {
      await new Promise<void>((resolve) => served.server.close(() => resolve()));
      await emulator.close();
    }
  });

  it('answers clear JSON errors: unknown call, key before answering, bad body, key after hang-up, wrong method', async () => {
    const unknown = await fetch(`${base}/_local/phone/00000000-0000-4000-8000-00000000dead`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('CALL_NOT_FOUND');
    expect((await post('00000000-0000-4000-8000-00000000dead', 'decline')).status).toBe(404);

    const { contactId } = await placedCall();
    expect((await pressKey(contactId, { key: '1' })).status).toBe(404);
    await fetch(`${base}/_local/phone/${contactId}`);
    for (const body of ['not json', { key: 'A' }, { key: 1 }, {}]) {
      const response = await pressKey(contactId, body);
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('MALFORMED_REQUEST');
    }
    await pressKey(contactId, { key: '2' });
    const late = await pressKey(contactId, { key: '1' });
    expect(late.status).toBe(409);
    expect((await json(late)).error.code).toBe('CALL_ENDED');
    expect((await fetch(`${base}/_local/phone/${contactId}`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/_local/phone/${contactId}/hangup`)).status).toBe(405);
    expect((await fetch(`${base}/_local/phone/${contactId}/elsewhere`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/somewhere-else`)).status).toBe(404);
  });
});
