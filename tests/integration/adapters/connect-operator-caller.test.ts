import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConnectClient } from '../../../functions/adapters/aws-clients';
import { ConnectOperatorCaller, OperatorCallFailedError, clientTokenFor } from '../../../functions/adapters/connect/connect-operator-caller';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import type { OutboundCall } from '../../../functions/core/ports/operator-caller';
import { ConnectEmulator } from '../../../local/emulators/connect-emulator';

const INSTANCE_ID = '11111111-2222-3333-4444-555555555555';
const FLOW_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SOURCE = '+14155550100';
const OPERATOR = '+14155550199';

type LadderFields = 'stationName' | 'callKind' | 'destinationPhoneNumber' | 'contactName' | 'level' | 'loop' | 'step' | 'index';

/** The registry's part of a call: the first contact of the first level, ringing about a fresh anomaly. */
function ladderCall(destinationPhoneNumber: string): Pick<OutboundCall, LadderFields> {
  return { stationName: 'Litho seven', callKind: 'anomaly', destinationPhoneNumber, contactName: 'Line operator', level: 1, loop: 1, step: 0, index: 0 };
}

/** The contact attributes a first-level call carries besides the spoken numbers. */
const LADDER_ATTRIBUTES = { stationName: 'Litho seven', callKind: 'anomaly', contactName: 'Line operator', escalationLevel: '1', escalationLoop: '1' };

async function callError(promise: Promise<unknown>): Promise<OperatorCallFailedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(OperatorCallFailedError);
  return error as OperatorCallFailedError;
}

describe('ConnectOperatorCaller against the Connect emulator', () => {
  const emulator = new ConnectEmulator({ instanceId: INSTANCE_ID, contactFlowId: FLOW_ID, allowedDestinationPrefixes: ['+1'] });
  let client: ReturnType<typeof createConnectClient>;

  /** The caller has no destination of its own any more: each call brings the number the station registry gave it. */
  const callerTo = (destinationPhoneNumber: string, instanceId = INSTANCE_ID) => {
    const caller = new ConnectOperatorCaller({ client, instanceId, contactFlowId: FLOW_ID, sourcePhoneNumber: SOURCE });
    return {
      startCall: (call: Omit<OutboundCall, LadderFields> & Partial<OutboundCall>) => caller.startCall({ ...ladderCall(destinationPhoneNumber), ...call }),
    };
  };

  beforeAll(async () => {
    await emulator.start();
    client = createConnectClient({ region: 'us-east-1', endpoint: emulator.endpoint });
  });

  afterEach(() => {
    emulator.clearFaults();
    emulator.resetRequests();
  });

  afterAll(async () => {
    client?.destroy();
    await emulator.close();
  });

  it('places the call with the configured numbers, flow, attributes and an inspection-derived client token', async () => {
    // Prepare
    const inspectionId = newInspectionId();

    // Act
    const { contactId } = await callerTo(OPERATOR).startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 93 });

    // Assess
    const [request] = emulator.requests();
    expect(request?.method).toBe('PUT');
    expect(request?.path).toBe('/contact/outbound-voice');
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual({
      InstanceId: INSTANCE_ID,
      ContactFlowId: FLOW_ID,
      SourcePhoneNumber: SOURCE,
      DestinationPhoneNumber: OPERATOR,
      ClientToken: clientTokenFor(inspectionId),
      Attributes: { inspectionId, stationId: 'litho-7', confidencePercent: '93', foldedAnomalies: '0', ...LADDER_ATTRIBUTES },
    });
    expect(emulator.calls()[0]).toMatchObject({ contactId, destinationPhoneNumber: OPERATOR, status: 'initiated', clientToken: clientTokenFor(inspectionId) });
  });

  it('carries the anomalies folded into the call to Connect as the foldedAnomalies contact attribute', async () => {
    // Prepare
    const inspectionId = newInspectionId();

    // Act
    const { contactId } = await callerTo(OPERATOR).startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 93, foldedCount: 3 });

    // Assess
    const [request] = emulator.requests();
    const attributes = { inspectionId, stationId: 'litho-7', confidencePercent: '93', foldedAnomalies: '3', ...LADDER_ATTRIBUTES };
    expect(JSON.parse(request!.body.toString('utf8')).Attributes).toEqual(attributes);
    expect(emulator.calls().find((call) => call.contactId === contactId)?.attributes).toEqual(attributes);
  });

  it('never rings twice for the same inspection', async () => {
    // Prepare
    const inspectionId = newInspectionId();
    const caller = callerTo(OPERATOR);
    const before = emulator.calls().length;

    // Act
    const first = await caller.startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 80 });
    const second = await caller.startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 80 });

    // Assess
    expect(second.contactId).toBe(first.contactId);
    expect(emulator.requests()).toHaveLength(2);
    expect(emulator.calls()).toHaveLength(before + 1);
  });

  it('rings every contact and step of one inspection once each: the token is per inspection, step and contact', async () => {
    // Prepare
    const inspectionId = newInspectionId();
    const before = emulator.calls().length;
    const ladder = [
      { destination: OPERATOR, step: 0, index: 0 },
      { destination: '+14155550198', step: 0, index: 1 },
      { destination: '+14155550197', step: 1, index: 0 },
    ];

    // Act
    const first = await Promise.all(
      ladder.map(({ destination, step, index }) => callerTo(destination).startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 80, step, index })),
    );
    const retried = await callerTo('+14155550198').startCall({ inspectionId, stationId: 'litho-7', confidencePercent: 80, step: 0, index: 1 });

    // Assess
    expect(new Set(first.map((call) => call.contactId)).size).toBe(3);
    expect(retried.contactId).toBe(first[1]!.contactId);
    const placed = emulator.calls().slice(0, emulator.calls().length - before);
    expect(placed).toHaveLength(3);
    expect(new Set(placed.map((call) => call.destinationPhoneNumber))).toEqual(new Set(ladder.map((call) => call.destination)));
    expect(new Set(placed.map((call) => call.clientToken))).toEqual(
      new Set([clientTokenFor(inspectionId), clientTokenFor(inspectionId, 0, 1), clientTokenFor(inspectionId, 1, 0)]),
    );
  });

  it('retries LimitExceededException with the same token and places exactly one call', async () => {
    // Prepare
    const inspectionId = newInspectionId();
    emulator.failNext(1, 'LimitExceededException');
    const before = emulator.calls().length;

    // Act
    const { contactId } = await callerTo(OPERATOR).startCall({ inspectionId, stationId: 's', confidencePercent: 70 });

    // Assess
    const requests = emulator.requests();
    expect(requests.map((r) => r.status)).toEqual([429, 200]);
    expect(new Set(requests.map((r) => JSON.parse(r.body.toString('utf8')).ClientToken))).toEqual(new Set([clientTokenFor(inspectionId)]));
    expect(emulator.calls()).toHaveLength(before + 1);
    expect(emulator.calls()[0]?.contactId).toBe(contactId);
  });

  it('rejects with a retryable, number-free OperatorCallFailedError when the limit persists', async () => {
    // Prepare
    emulator.failNext(3, 'LimitExceededException', { message: `Too many calls to ${OPERATOR}` });

    // Act
    const error = await callError(callerTo(OPERATOR).startCall({ inspectionId: newInspectionId(), stationId: 's', confidencePercent: 70 }));

    // Assess
    expect(emulator.requests()).toHaveLength(3);
    expect(error).toMatchObject({ name: 'OperatorCallFailedError', reason: 'LimitExceededException', code: 'LimitExceededException', retryable: true });
    expect(error.message).not.toContain('555');
  });

  it('rejects a destination the instance may not dial, without retrying and without the number', async () => {
    // Act
    const error = await callError(callerTo('+442071838750').startCall({ inspectionId: newInspectionId(), stationId: 's', confidencePercent: 70 }));

    // Assess
    expect(emulator.requests().map((r) => [r.status, r.errorType])).toEqual([[403, 'DestinationNotAllowedException']]);
    expect(error).toMatchObject({ reason: 'DestinationNotAllowedException', retryable: false });
    expect(error.message).not.toContain('2071838750');
  });

  it('reports an unknown instance as a non-retryable ResourceNotFoundException', async () => {
    // Act
    const error = await callError(
      callerTo(OPERATOR, '99999999-2222-3333-4444-555555555555').startCall({ inspectionId: newInspectionId(), stationId: 's', confidencePercent: 70 }),
    );

    // Assess
    expect(error).toMatchObject({ reason: 'ResourceNotFoundException', retryable: false });
  });

  it('reports an unreachable Connect as a retryable NetworkError', async () => {
    // Prepare
    const gone = new ConnectEmulator();
    const endpoint = await gone.start();
    await gone.close();
    const unreachable = createConnectClient({ region: 'us-east-1', endpoint });
    const caller = new ConnectOperatorCaller({ client: unreachable, instanceId: INSTANCE_ID, contactFlowId: FLOW_ID, sourcePhoneNumber: SOURCE });

    // Act
    const error = await callError(caller.startCall({ ...ladderCall(OPERATOR), inspectionId: newInspectionId(), stationId: 's', confidencePercent: 70 }));
    unreachable.destroy();

    // Assess
    expect(error).toMatchObject({ reason: 'NetworkError', retryable: true });
  });

  it('lets the local stack record the operator decision on a call', async () => {
    // Prepare
    const { contactId } = await callerTo(OPERATOR).startCall({ inspectionId: newInspectionId(), stationId: 's', confidencePercent: 99 });

    // Act
    const updated = emulator.updateCall(contactId, { status: 'completed', decision: { decision: 'scrap', key: '2' } });

    // Assess
    expect(updated).toMatchObject({ contactId, status: 'completed', decision: { decision: 'scrap', key: '2' } });
    expect(emulator.call(contactId)?.status).toBe('completed');
    expect(emulator.updateCall('no-such-contact', { status: 'failed' })).toBeUndefined();
  });
});
