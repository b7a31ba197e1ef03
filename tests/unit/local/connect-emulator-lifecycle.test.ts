import { afterEach, describe, expect, it } from 'vitest';
import { CallStateError, ConnectEmulator, type ConnectContactEvent, type ConnectEmulatorOptions } from '../../../local/emulators/connect-emulator';

const INSTANCE_ID = '00000000-0000-4000-8000-00000000c0de';
const INSTANCE_ARN = `arn:aws:connect:eu-west-1:123456789012:instance/${INSTANCE_ID}`;
const ATTRIBUTES = {
  inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  stationId: 'litho-2',
  contactName: 'Line operator',
  escalationLevel: '1',
  escalationLoop: '1',
};
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('Connect emulator call lifecycle and contact events', () => {
  const started: ConnectEmulator[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  /** An emulator in eu-west-1 / 123456789012 whose events are collected as a listener gets them. */
  async function emulatorWithListener(options: ConnectEmulatorOptions = {}) {
    const emulator = new ConnectEmulator({ region: 'eu-west-1', accountId: '123456789012', ...options });
    started.push(emulator);
    await emulator.start();
    const heard: ConnectContactEvent[] = [];
    emulator.onContactEvent((event) => heard.push(event));
    return { emulator, heard };
  }

  async function placeCall(emulator: ConnectEmulator, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await fetch(`${emulator.endpoint}/contact/outbound-voice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        InstanceId: INSTANCE_ID,
        ContactFlowId: 'flow',
        DestinationPhoneNumber: '+15555550100',
        SourcePhoneNumber: '+15555550199',
        Attributes: ATTRIBUTES,
        ...extra,
      }),
    });
    return ((await response.json()) as { ContactId: string }).ContactId;
  }

  it('emits INITIATED, CONNECTED_TO_SYSTEM and DISCONNECTED in the shape EventBridge delivers, for a call the flow ends', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const contactId = await placeCall(emulator);

    // Act
    const answered = emulator.answerCall(contactId);
    const ended = emulator.endCall(contactId, 'flow-ended', { decision: { status: 'recorded', decision: 'scrap' } });

    // Assess
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
    const [initiated, connected, disconnected] = heard as [ConnectContactEvent, ConnectContactEvent, ConnectContactEvent];
    expect(initiated).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Amazon Connect Contact Event',
      source: 'aws.connect',
      account: '123456789012',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'eu-west-1',
      resources: [INSTANCE_ARN, `${INSTANCE_ARN}/contact/${contactId}`],
      detail: {
        eventType: 'INITIATED',
        contactId,
        initialContactId: contactId,
        channel: 'VOICE',
        instanceArn: INSTANCE_ARN,
        initiationMethod: 'API',
        initiationTimestamp: expect.stringMatching(ISO),
      },
    });
    expect(connected.detail).toMatchObject({ eventType: 'CONNECTED_TO_SYSTEM', connectedToSystemTimestamp: answered!.answeredAt });
    expect(connected.detail).not.toHaveProperty('disconnectReason');
    expect(disconnected.detail).toMatchObject({
      eventType: 'DISCONNECTED',
      connectedToSystemTimestamp: answered!.answeredAt,
      disconnectTimestamp: ended!.endedAt,
      disconnectReason: 'CONTACT_FLOW_DISCONNECT',
      initiationTimestamp: initiated.detail.initiationTimestamp,
    });
    expect(new Set(heard.map((event) => event.id)).size).toBe(3);
    expect(emulator.call(contactId)).toMatchObject({ status: 'completed', disconnectReason: 'CONTACT_FLOW_DISCONNECT', decision: { decision: 'scrap' } });
    expect(JSON.stringify(heard)).not.toContain('5555550100');
  });

  it('ends a call nobody answers as no-answer after the ring timeout, without connectedToSystemTimestamp', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener({ ringTimeoutMs: 60 });
    const contactId = await placeCall(emulator);

    // Act
    await expect.poll(() => emulator.call(contactId)?.status, { timeout: 2_000 }).toBe('no-answer');

    // Assess
    const disconnected = heard.at(-1)!;
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'DISCONNECTED']);
    expect(disconnected.detail.disconnectReason).toBe('TELECOM_TIMEOUT');
    expect(disconnected.detail).not.toHaveProperty('connectedToSystemTimestamp');
    expect(() => emulator.answerCall(contactId)).toThrow(CallStateError);
  });

  it('stops ringing once answered: the ring timeout does not end an answered call', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener({ ringTimeoutMs: 40 });
    const contactId = await placeCall(emulator);

    // Act
    emulator.answerCall(contactId);
    await new Promise((resolve) => setTimeout(resolve, 120));

    // Assess
    expect(emulator.call(contactId)?.status).toBe('answered');
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM']);
  });

  it('names how each call ended: declined, hung up while ringing, hung up on the call, failed', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const [declined, refused, hungUp, failed] = [await placeCall(emulator), await placeCall(emulator), await placeCall(emulator), await placeCall(emulator)];

    // Act
    emulator.endCall(declined, 'declined');
    emulator.endCall(refused, 'hung-up');
    emulator.answerCall(hungUp);
    emulator.endCall(hungUp, 'hung-up');
    emulator.endCall(failed, 'failed');

    // Assess
    const reasonOf = (contactId: string) => heard.find((event) => event.detail.contactId === contactId && event.detail.eventType === 'DISCONNECTED')?.detail;
    expect([declined, refused, hungUp, failed].map((contactId) => emulator.call(contactId)?.status)).toEqual(['declined', 'declined', 'completed', 'failed']);
    expect(reasonOf(declined)).toMatchObject({ disconnectReason: 'TELECOM_BUSY' });
    expect(reasonOf(declined)).not.toHaveProperty('connectedToSystemTimestamp');
    expect(reasonOf(refused)).toMatchObject({ disconnectReason: 'TELECOM_BUSY' });
    expect(reasonOf(hungUp)).toMatchObject({ disconnectReason: 'CUSTOMER_DISCONNECT', connectedToSystemTimestamp: expect.stringMatching(ISO) });
    expect(reasonOf(failed)).toMatchObject({ disconnectReason: 'TELECOM_PROBLEM' });
  });

  it('refuses steps the call is not in a state for, and knows no unknown call', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const ringing = await placeCall(emulator);
    const answered = await placeCall(emulator);
    emulator.answerCall(answered);
    const before = heard.length;

    // Act + Assess
    expect(() => emulator.endCall(ringing, 'flow-ended')).toThrow(/never answered/);
    expect(() => emulator.endCall(answered, 'declined')).toThrow(/hung up/);
    expect(() => emulator.answerCall(answered)).toThrow(CallStateError);
    emulator.endCall(answered, 'hung-up');
    expect(() => emulator.endCall(answered, 'hung-up')).toThrow(/already ended/);
    expect(emulator.answerCall('no-such-contact')).toBeUndefined();
    expect(emulator.endCall('no-such-contact', 'declined')).toBeUndefined();
    expect(heard).toHaveLength(before + 1);
  });

  it('emits one INITIATED per contact: a repeated ClientToken places no second call', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();

    // Act
    const first = await placeCall(emulator, { ClientToken: 'same' });
    const again = await placeCall(emulator, { ClientToken: 'same' });

    // Assess
    expect(again).toBe(first);
    expect(heard.filter((event) => event.detail.eventType === 'INITIATED')).toHaveLength(1);
  });

  it('reports answering machine detection when the call asked for it: a person, a voicemail, nobody', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const detection = { AnswerMachineDetectionConfig: { EnableAnswerMachineDetection: true } };
    const person = await placeCall(emulator, detection);
    const machine = await placeCall(emulator, detection);
    const nobody = await placeCall(emulator, detection);
    const plain = await placeCall(emulator);

    // Act
    emulator.answerCall(person);
    emulator.answerCall(machine, { by: 'voicemail' });
    emulator.endCall(nobody, 'no-answer');
    emulator.answerCall(plain, { by: 'voicemail' });

    // Assess
    const detected = (contactId: string, eventType: string) =>
      heard.find((event) => event.detail.contactId === contactId && event.detail.eventType === eventType)?.detail.answeringMachineDetectionStatus;
    expect(detected(person, 'CONNECTED_TO_SYSTEM')).toBe('HUMAN_ANSWERED');
    expect(detected(machine, 'CONNECTED_TO_SYSTEM')).toBe('VOICEMAIL_BEEP');
    expect(detected(nobody, 'DISCONNECTED')).toBe('AMD_UNANSWERED');
    // Without detection Connect cannot tell a voicemail from a person.
    expect(detected(plain, 'CONNECTED_TO_SYSTEM')).toBeUndefined();
  });

  it('lists the events emitted so far and redelivers any of them, duplicated or late', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const contactId = await placeCall(emulator);
    emulator.answerCall(contactId);
    const [initiated] = emulator.contactEvents(contactId);

    // Act
    emulator.redeliverContactEvent(initiated!);

    // Assess
    expect(emulator.contactEvents(contactId).map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM']);
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'INITIATED']);
    expect(heard[2]).toEqual(heard[0]);
  });

  it('holds events back and releases them in reverse, for consumers that must cope with out-of-order delivery', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    emulator.holdContactEvents();
    const contactId = await placeCall(emulator);
    emulator.answerCall(contactId);
    emulator.endCall(contactId, 'hung-up');
    const heldBack = heard.length;

    // Act
    emulator.releaseContactEvents({ order: 'reversed' });

    // Assess
    expect(heldBack).toBe(0);
    expect(heard.map((event) => event.detail.eventType)).toEqual(['DISCONNECTED', 'CONNECTED_TO_SYSTEM', 'INITIATED']);
    expect(emulator.contactEvents().map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
  });

  it('keeps updateCall working for callers that only know the outcome, with the events a real call would have', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    const contactId = await placeCall(emulator);

    // Act
    const updated = emulator.updateCall(contactId, { status: 'completed', decision: { decision: 'keep' } });

    // Assess
    expect(updated).toMatchObject({ status: 'completed', decision: { decision: 'keep' }, disconnectReason: 'CONTACT_FLOW_DISCONNECT' });
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
  });

  it('answers GetContactAttributes with the attributes the call was placed with', async () => {
    // Prepare
    const { emulator } = await emulatorWithListener();
    const contactId = await placeCall(emulator);

    // Act
    const found = await fetch(`${emulator.endpoint}/contact/attributes/${INSTANCE_ID}/${contactId}`);
    const otherInstance = await fetch(`${emulator.endpoint}/contact/attributes/other/${contactId}`);

    // Assess
    expect(await found.json()).toEqual({ Attributes: ATTRIBUTES });
    expect([otherInstance.status, otherInstance.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([404, 'ResourceNotFoundException']);
  });

  it('keeps calling other listeners when one throws, and stops calling one that unsubscribed', async () => {
    // Prepare
    const { emulator, heard } = await emulatorWithListener();
    emulator.onContactEvent(() => {
      throw new Error('a broken subscriber');
    });
    const other: string[] = [];
    const stop = emulator.onContactEvent((event) => other.push(event.detail.eventType));

    // Act
    const contactId = await placeCall(emulator);
    stop();
    emulator.endCall(contactId, 'declined');

    // Assess
    expect(heard.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'DISCONNECTED']);
    expect(other).toEqual(['INITIATED']);
  });
});
