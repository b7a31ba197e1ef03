import 'aws-sdk-client-mock-vitest/extend';
import {
  ConnectClient,
  ConnectServiceException,
  DestinationNotAllowedException,
  InternalServiceException,
  InvalidParameterException,
  LimitExceededException,
  ResourceNotFoundException,
  StartOutboundVoiceContactCommand,
  ThrottlingException,
} from '@aws-sdk/client-connect';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectOperatorCaller,
  MAX_CLIENT_TOKEN_LENGTH,
  OperatorCallFailedError,
  clientTokenFor,
  toOperatorCallFailed,
} from '../../../../functions/adapters/connect/connect-operator-caller';
import type { OutboundCall } from '../../../../functions/core/ports/operator-caller';

const connect = mockClient(ConnectClient);
const OPERATOR = '+4915112345678';
const SOURCE = '+4930123456789';
const meta = { $metadata: {} };

function caller() {
  return new ConnectOperatorCaller({
    client: new ConnectClient({ region: 'eu-central-1' }),
    instanceId: 'inst-1',
    contactFlowId: 'flow-1',
    sourcePhoneNumber: SOURCE,
  });
}

/** One call of a ladder as place-call builds it: the person and number come from the station registry. */
function outboundCall(overrides: Partial<OutboundCall> = {}): OutboundCall {
  return {
    inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2',
    stationId: 'cmp-3',
    confidencePercent: 90,
    stationName: 'CMP three',
    callKind: 'anomaly',
    destinationPhoneNumber: OPERATOR,
    contactName: 'Line operator',
    level: 1,
    loop: 1,
    step: 0,
    index: 0,
    ...overrides,
  };
}

/** The contact attributes every call carries besides the spoken numbers. */
const LADDER_ATTRIBUTES = { stationName: 'CMP three', callKind: 'anomaly', contactName: 'Line operator', escalationLevel: '1', escalationLoop: '1' };

async function failure(promise: Promise<unknown>): Promise<OperatorCallFailedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(OperatorCallFailedError);
  return error as OperatorCallFailedError;
}

describe('ConnectOperatorCaller', () => {
  beforeEach(() => connect.reset());

  it('sends StartOutboundVoiceContact with the configured source, the registry number of the call, string attributes and the derived token', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c-123' });

    // Act
    const result = await caller().startCall(outboundCall({ confidencePercent: 87.6 }));

    // Assess
    expect(result).toEqual({ contactId: 'c-123' });
    expect(connect).toReceiveCommandExactlyOnceWith(StartOutboundVoiceContactCommand, {
      InstanceId: 'inst-1',
      ContactFlowId: 'flow-1',
      SourcePhoneNumber: SOURCE,
      DestinationPhoneNumber: OPERATOR,
      ClientToken: 'waferwatch-inspection-01KB0Z4V3Q6M2XJ9T8R7P5N4C2',
      Attributes: { inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2', stationId: 'cmp-3', confidencePercent: '88', foldedAnomalies: '0', ...LADDER_ATTRIBUTES },
    });
  });

  it('dials the own number of each ladder call and names its level, loop, person and kind, with a token per step and contact', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c-9' });
    const shiftLead = '+4915112345699';

    // Act
    await caller().startCall(
      outboundCall({ destinationPhoneNumber: shiftLead, contactName: 'Shift lead', callKind: 'folded', level: 2, loop: 2, step: 3, index: 1, foldedCount: 4 }),
    );

    // Assess
    expect(connect).toReceiveCommandExactlyOnceWith(StartOutboundVoiceContactCommand, {
      SourcePhoneNumber: SOURCE,
      DestinationPhoneNumber: shiftLead,
      ClientToken: 'waferwatch-inspection-01KB0Z4V3Q6M2XJ9T8R7P5N4C2-s3-c1',
      Attributes: {
        inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2',
        stationId: 'cmp-3',
        confidencePercent: '90',
        foldedAnomalies: '4',
        stationName: 'CMP three',
        callKind: 'folded',
        contactName: 'Shift lead',
        escalationLevel: '2',
        escalationLoop: '2',
      },
    });
  });

  it('tells the flow how many anomalies were folded into the call since the station was last rung', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c-3' });

    // Act
    await caller().startCall(outboundCall({ confidencePercent: 91, foldedCount: 3 }));

    // Assess
    expect(connect).toReceiveCommandWith(StartOutboundVoiceContactCommand, {
      Attributes: { inspectionId: '01KB0Z4V3Q6M2XJ9T8R7P5N4C2', stationId: 'cmp-3', confidencePercent: '91', foldedAnomalies: '3', ...LADDER_ATTRIBUTES },
    });
  });

  it('sends the folded count as a whole number from 0 to 9999, and 0 when it is absent or not a count', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c' });
    const counts = [undefined, 0, 1, 2.7, -4, 9999, 10_000, 1e9, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

    // Act
    for (const foldedCount of counts) {
      await caller().startCall(outboundCall({ inspectionId: 'x', stationId: 's', ...(foldedCount === undefined ? {} : { foldedCount }) }));
    }

    // Assess
    const sent = connect.commandCalls(StartOutboundVoiceContactCommand).map((call) => call.args[0].input.Attributes?.foldedAnomalies);
    expect(sent).toEqual(['0', '0', '1', '2', '0', '9999', '9999', '9999', '0', '0', '0']);
  });

  it('keeps the spoken confidence a whole percent between 0 and 100', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c' });

    // Act
    for (const confidencePercent of [-3, 100.4, 250, Number.NaN]) {
      await caller().startCall(outboundCall({ inspectionId: 'x', stationId: 's', confidencePercent }));
    }

    // Assess
    const spoken = connect.commandCalls(StartOutboundVoiceContactCommand).map((call) => call.args[0].input.Attributes?.confidencePercent);
    expect(spoken).toEqual(['0', '100', '100', '0']);
  });

  it('derives the client token deterministically and within the API limit', () => {
    // Prepare
    const longId = 'é'.repeat(600);

    // Act
    const tokens = [
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C2'),
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C2'),
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C3'),
      clientTokenFor(longId),
    ];
    const ladderTokens = [
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C2', 0, 0),
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C2', 0, 1),
      clientTokenFor('01KB0Z4V3Q6M2XJ9T8R7P5N4C2', 1, 0),
      clientTokenFor(longId, 5, 2),
    ];

    // Assess
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[3]).toMatch(/^waferwatch-inspection-sha256-[0-9a-f]{64}$/);
    expect(tokens[3]).toBe(clientTokenFor(longId));
    // The first call of a ladder keeps the token calls had before ladders; every other step and contact has its own.
    expect(ladderTokens[0]).toBe(tokens[0]);
    expect(new Set(ladderTokens).size).toBe(ladderTokens.length);
    expect(ladderTokens[1]).toBe('waferwatch-inspection-01KB0Z4V3Q6M2XJ9T8R7P5N4C2-s0-c1');
    expect(ladderTokens[2]).toBe('waferwatch-inspection-01KB0Z4V3Q6M2XJ9T8R7P5N4C2-s1-c0');
    expect(ladderTokens[3]).toMatch(/^waferwatch-inspection-sha256-[0-9a-f]{64}-s5-c2$/);
    for (const token of [...tokens, ...ladderTokens]) expect(token.length).toBeLessThanOrEqual(MAX_CLIENT_TOKEN_LENGTH);
  });

  it.each([
    [new LimitExceededException({ ...meta, message: `Concurrent calls exceeded dialling ${OPERATOR}` }), 'LimitExceededException', true],
    [new ThrottlingException({ ...meta, message: 'Rate exceeded' }), 'ThrottlingException', true],
    [new InternalServiceException({ ...meta, message: 'boom' }), 'InternalServiceException', true],
    [new DestinationNotAllowedException({ ...meta, message: `Outbound calls to ${OPERATOR} are not allowed` }), 'DestinationNotAllowedException', false],
    [new ResourceNotFoundException({ ...meta, message: 'Instance inst-1 not found' }), 'ResourceNotFoundException', false],
    [new InvalidParameterException({ ...meta, message: `Invalid number ${SOURCE}` }), 'InvalidParameterException', false],
    [new ConnectServiceException({ name: 'AccessDeniedException', $fault: 'client', ...meta, message: 'no' }), 'AccessDeniedException', false],
    [new ConnectServiceException({ name: 'SomethingNewException', $fault: 'server', ...meta, message: OPERATOR }), 'UnknownError', true],
    [new ConnectServiceException({ name: 'constructor', $fault: 'client', ...meta, message: OPERATOR }), 'UnknownError', false],
    [Object.assign(new Error(`getaddrinfo ENOTFOUND connect.eu-central-1.amazonaws.com`), { code: 'ENOTFOUND' }), 'NetworkError', true],
  ] as const)('maps %s to reason %s (retryable: %s) with a message free of phone numbers', async (thrown, reason, retryable) => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).rejects(thrown);

    // Act
    const error = await failure(caller().startCall(outboundCall({ stationId: 's' })));

    // Assess
    expect(error).toMatchObject({ name: 'OperatorCallFailedError', reason, code: reason, retryable });
    expect(error.message).toContain(reason);
    expect(error.message).not.toMatch(/\+?\d{7,}/);
    expect((error as { cause?: unknown }).cause).toBe(thrown);
  });

  it('rejects when Connect answers without a contact id', async () => {
    // Prepare
    connect.on(StartOutboundVoiceContactCommand).resolves({});

    // Act
    const error = await failure(caller().startCall(outboundCall({ inspectionId: 'x', stationId: 's' })));

    // Assess
    expect(error).toMatchObject({ reason: 'UnknownError', retryable: false });
  });
});

describe('ConnectOperatorCaller rate', () => {
  it("spaces StartOutboundVoiceContact requests at CONNECT_CALLS_PER_SECOND, so a burst rings at Connect's rate instead of being throttled", async () => {
    // Prepare
    connect.reset();
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c-1', ...meta });
    const waits: number[] = [];
    const spaced = new ConnectOperatorCaller({
      client: new ConnectClient({ region: 'eu-central-1' }),
      instanceId: 'instance-1',
      contactFlowId: 'flow-1',
      sourcePhoneNumber: SOURCE,
      allowedCountryPrefixes: ['+49'],
      callsPerSecond: 2,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Act
    for (let index = 0; index < 4; index += 1) await spaced.startCall(outboundCall({ step: 0, index }));
    // Assess: no wait for the first, then half a second more for each (less the few ms the test itself took)
    expect(waits).toHaveLength(3);
    waits.forEach((ms, index) => {
      expect(ms).toBeGreaterThan(500 * (index + 1) - 50);
      expect(ms).toBeLessThanOrEqual(500 * (index + 1));
    });
    expect(connect).toHaveReceivedCommandTimes(StartOutboundVoiceContactCommand, 4);
  });
});

describe('toOperatorCallFailed: may the failed request have started a call?', () => {
  const meta = { $metadata: {} };
  it.each([
    ['throttled', new ThrottlingException({ message: 'slow down', ...meta }), false],
    ['at its limit', new LimitExceededException({ message: 'limit', ...meta }), false],
    ['refused the destination', new DestinationNotAllowedException({ message: 'no', ...meta }), false],
    ['had a server error', new InternalServiceException({ message: 'oops', ...meta }), true],
    ['reset after sending', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['timed out waiting for the answer', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['refused the connection before sending', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    ['was not found in DNS', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), false],
  ])('Connect %s → mayHaveStarted %s', (_what, error, expected) => {
    expect(toOperatorCallFailed(error).mayHaveStarted).toBe(expected);
  });
});
