import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createContactEventDelivery,
  matchesEventPattern,
  readEventBridgeTarget,
  UnsupportedEventRuleError,
  type ContactEventDelivery,
  type EventPattern,
} from '../../../local/contact-event-delivery';
import type { ConnectContactEvent, ContactEventType } from '../../../local/emulators/connect-emulator';
import { PROJECT_ROOT } from '../../../local/local-stack';
import { parseServerlessYaml } from '../../../local/serverless-routes';

const INSTANCE_ID = '00000000-0000-4000-8000-00000000c0de';
const INSTANCE_ARN = `arn:aws:connect:us-east-1:000000000000:instance/${INSTANCE_ID}`;
const LOCAL_VARIABLES = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'param:connectInstanceId': INSTANCE_ID,
};

/** A contact event as the Connect emulator emits it. */
function contactEvent(
  eventType: ContactEventType | 'QUEUED',
  overrides: { instanceArn?: string; source?: string; detailType?: string; contactId?: string } = {},
): ConnectContactEvent {
  const instanceArn = overrides.instanceArn ?? INSTANCE_ARN;
  const contactId = overrides.contactId ?? 'c-1';
  return {
    version: '0',
    id: `event-${eventType}-${contactId}`,
    'detail-type': (overrides.detailType ?? 'Amazon Connect Contact Event') as 'Amazon Connect Contact Event',
    source: overrides.source ?? 'aws.connect',
    account: '000000000000',
    time: '2026-11-26T10:00:00Z',
    region: 'us-east-1',
    resources: [instanceArn, `${instanceArn}/contact/${contactId}`],
    detail: {
      eventType: eventType as ContactEventType,
      contactId,
      initialContactId: contactId,
      channel: 'VOICE',
      instanceArn,
      initiationMethod: 'API',
      initiationTimestamp: '2026-11-26T10:00:00.000Z',
      ...(eventType === 'DISCONNECTED' ? { disconnectTimestamp: '2026-11-26T10:00:30.000Z', disconnectReason: 'TELECOM_TIMEOUT' } : {}),
    },
  };
}

const RULE: EventPattern = {
  source: ['aws.connect'],
  'detail-type': ['Amazon Connect Contact Event'],
  detail: { eventType: ['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED'], instanceArn: [INSTANCE_ARN] },
};

describe("serverless.yml's contact events rule, read for the local stack", () => {
  it('takes source, detail-type and event types from the file and resolves the instance ARN to the local instance', async () => {
    // Prepare
    const document = parseServerlessYaml(await readFile(path.join(PROJECT_ROOT, 'serverless.yml'), 'utf8'));

    // Act
    const target = readEventBridgeTarget(document, 'contactEvents', LOCAL_VARIABLES);

    // Assess
    expect(target).toMatchObject({ functionName: 'contactEvents', handler: 'functions/handlers/contact-events.handler', patterns: [RULE] });
    expect(target?.timeoutSeconds).toBeGreaterThan(0);
  });

  it('is absent for a function that does not exist or has no eventBridge event, and skips a disabled rule', () => {
    // Prepare
    const document = {
      functions: {
        placeCall: { handler: 'functions/handlers/place-call.handler', events: [{ sqs: { arn: 'x' } }] },
        off: { handler: 'functions/handlers/off.handler', events: [{ eventBridge: { enabled: false, pattern: { source: ['aws.connect'] } } }] },
      },
    };

    // Act + Assess
    expect(readEventBridgeTarget(document, 'contactEvents', LOCAL_VARIABLES)).toBeUndefined();
    expect(readEventBridgeTarget(document, 'placeCall', LOCAL_VARIABLES)).toBeUndefined();
    expect(readEventBridgeTarget(document, 'off', LOCAL_VARIABLES)).toBeUndefined();
  });

  it('refuses what it cannot deliver faithfully, naming it: unknown variables and functions, input transformers, other buses', () => {
    // Prepare
    const withRule = (eventBridge: Record<string, unknown>) => ({
      functions: { contactEvents: { handler: 'functions/handlers/contact-events.handler', events: [{ eventBridge }] } },
    });

    // Act + Assess
    expect(() =>
      readEventBridgeTarget(
        withRule({ pattern: { detail: { instanceArn: [{ '!Sub': 'arn:${AWS::Partition}:connect:${Unknown}' }] } } }),
        'contactEvents',
        LOCAL_VARIABLES,
      ),
    ).toThrow(/\$\{Unknown\} has no local value/);
    expect(() =>
      readEventBridgeTarget(withRule({ pattern: { detail: { instanceArn: [{ '!GetAtt': 'Instance.Arn' }] } } }), 'contactEvents', LOCAL_VARIABLES),
    ).toThrow(UnsupportedEventRuleError);
    expect(() =>
      readEventBridgeTarget(withRule({ pattern: { source: ['aws.connect'] }, inputTransformer: { inputTemplate: '{}' } }), 'contactEvents', LOCAL_VARIABLES),
    ).toThrow(/inputTransformer/);
    expect(() =>
      readEventBridgeTarget(
        withRule({ pattern: { source: ['aws.connect'] }, eventBus: 'arn:aws:events:us-east-1:000000000000:event-bus/other' }),
        'contactEvents',
        LOCAL_VARIABLES,
      ),
    ).toThrow(/default event bus/);
    expect(() => readEventBridgeTarget(withRule({ pattern: { source: [{ wildcard: 'aws.*' }] } }), 'contactEvents', LOCAL_VARIABLES)).toThrow(
      /not supported locally/,
    );
  });
});

describe('matchesEventPattern', () => {
  it("matches the local instance's voice call events and nothing else", () => {
    // Act + Assess
    for (const eventType of ['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED'] as const)
      expect(matchesEventPattern(RULE, contactEvent(eventType))).toBe(true);
    expect(matchesEventPattern(RULE, contactEvent('QUEUED'))).toBe(false);
    expect(matchesEventPattern(RULE, contactEvent('INITIATED', { instanceArn: 'arn:aws:connect:us-east-1:000000000000:instance/other' }))).toBe(false);
    expect(matchesEventPattern(RULE, contactEvent('INITIATED', { source: 'aws.s3' }))).toBe(false);
    expect(matchesEventPattern(RULE, contactEvent('INITIATED', { detailType: 'Contact Lens Analysis State Change' }))).toBe(false);
  });

  it("follows EventBridge's rules: array values, missing fields, prefix, suffix, anything-but, exists, equals-ignore-case", () => {
    // Prepare
    const event = { source: 'aws.connect', resources: ['arn:a', 'arn:b'], detail: { disconnectReason: 'TELECOM_BUSY', count: 3, flag: null } };

    // Act + Assess
    expect(matchesEventPattern({ resources: ['arn:b'] }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { count: [3] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { count: ['3'] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { flag: [null] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { connectedToSystemTimestamp: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { disconnectReason: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { connectedToSystemTimestamp: ['x'] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { disconnectReason: [{ prefix: 'TELECOM_' }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { disconnectReason: [{ suffix: '_BUSY' }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { disconnectReason: [{ 'anything-but': ['CUSTOMER_DISCONNECT'] }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { disconnectReason: [{ 'anything-but': { prefix: 'TELECOM_' } }] } }, event)).toBe(false);
    expect(matchesEventPattern({ source: [{ 'equals-ignore-case': 'AWS.CONNECT' }] }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { disconnectReason: { code: ['x'] } } }, event)).toBe(false);
  });
});

describe('contact event delivery (EventBridge -> Lambda, asynchronous invocation)', () => {
  let delivery: ContactEventDelivery | undefined;

  afterEach(async () => {
    await delivery?.close();
    delivery = undefined;
  });

  const target = { functionName: 'contactEvents', patterns: [RULE], timeoutSeconds: 1 };

  it('invokes the handler after notify returns, with a copy of the event and a Lambda context; idle waits for it', async () => {
    // Prepare
    const received: Array<{ event: ConnectContactEvent; context: Context }> = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    delivery = createContactEventDelivery({
      target,
      log: () => {},
      handler: async (event, context) => {
        await gate;
        received.push({ event, context });
      },
    });
    const event = contactEvent('INITIATED');

    // Act
    const matched = delivery.notify(event);
    const beforeIdle = received.length;
    event.detail.contactId = 'changed-by-the-emitter';
    release();
    await delivery.idle();

    // Assess
    expect(matched).toBe(true);
    expect(beforeIdle).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]!.event).toEqual(contactEvent('INITIATED'));
    expect(received[0]!.context.functionName).toBe('contactEvents');
    expect(received[0]!.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(delivery.stats()).toMatchObject({ offered: 1, matched: 1, handled: 1, failedInvocations: 0, dropped: 0 });
  });

  it('does not invoke the handler for events the rule does not match', async () => {
    // Prepare
    const received: string[] = [];
    delivery = createContactEventDelivery({ target, log: () => {}, handler: async (event) => void received.push(event.detail.eventType) });

    // Act
    const matched = delivery.notify(contactEvent('QUEUED'));
    await delivery.idle();

    // Assess
    expect(matched).toBe(false);
    expect(received).toEqual([]);
  });

  it('retries a handler that throws twice more, like Lambda, and succeeds on a retry', async () => {
    // Prepare
    let calls = 0;
    delivery = createContactEventDelivery({
      target,
      log: () => {},
      retryDelayMs: 5,
      handler: async () => {
        calls += 1;
        if (calls < 3) throw new Error('store throttled');
      },
    });

    // Act
    delivery.notify(contactEvent('DISCONNECTED'));
    await delivery.idle();

    // Assess
    expect(calls).toBe(3);
    expect(delivery.stats()).toMatchObject({ handled: 1, failedInvocations: 2, dropped: 0 });
  });

  it('gives up after the retries with one log line naming the event, and counts a timeout as a failure', async () => {
    // Prepare
    const lines: string[] = [];
    let calls = 0;
    delivery = createContactEventDelivery({
      target: { ...target, timeoutSeconds: 0.02 },
      log: (line) => lines.push(line),
      retryDelayMs: 5,
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        await new Promise((resolve) => setTimeout(resolve, 200));
      },
    });

    // Act
    delivery.notify(contactEvent('DISCONNECTED', { contactId: 'c-42' }));
    await delivery.idle();

    // Assess
    expect(calls).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^contactEvents failed 3 times on DISCONNECTED of contact c-42 \(event event-DISCONNECTED-c-42\): Task timed out after 0.02 seconds; the event is dropped/,
    );
    expect(delivery.stats()).toMatchObject({ handled: 0, failedInvocations: 3, dropped: 1 });
  });

  it('delivers events concurrently, each on its own, so a slow one does not hold up the next', async () => {
    // Prepare
    const finished: string[] = [];
    delivery = createContactEventDelivery({
      target,
      log: () => {},
      handler: async (event) => {
        if (event.detail.eventType === 'INITIATED') await new Promise((resolve) => setTimeout(resolve, 50));
        finished.push(event.detail.eventType);
      },
    });

    // Act
    delivery.notify(contactEvent('INITIATED'));
    delivery.notify(contactEvent('DISCONNECTED'));
    await delivery.idle();

    // Assess
    expect(finished).toEqual(['DISCONNECTED', 'INITIATED']);
  });

  it('waits the delivery delay before invoking, and close drops what is still waiting', async () => {
    // Prepare
    const received: string[] = [];
    delivery = createContactEventDelivery({ target, log: () => {}, deliveryDelayMs: 10_000, handler: async (event) => void received.push(event.id) });

    // Act
    delivery.notify(contactEvent('INITIATED'));
    const started = Date.now();
    await delivery.close();
    const afterClose = delivery.notify(contactEvent('DISCONNECTED'));

    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(received).toEqual([]);
    expect(afterClose).toBe(false);
  });
});
