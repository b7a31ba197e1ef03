import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ConnectOperatorCaller } from '../../../functions/adapters/connect/connect-operator-caller';
import { FLOW_LIMITS, loadContactFlow, successorsOf, type ContactFlow } from '../../../local/contact-flow-interpreter/flow-language';
import { shippedFlow, shippedFlowText } from './flow-fixtures';

/** Every path from StartAction to an action with no successors; fails on a cycle, which could keep a caller forever. */
function allPaths(flow: ContactFlow): string[][] {
  const paths: string[][] = [];
  const walk = (id: string, trail: string[]) => {
    if (trail.includes(id)) throw new Error(`cycle: ${[...trail, id].join(' → ')}`);
    const action = flow.byId.get(id);
    if (!action) throw new Error(`dangling: ${id}`);
    const next = successorsOf(action);
    if (next.length === 0) paths.push([...trail, id]);
    for (const successor of next) walk(successor, [...trail, id]);
  };
  walk(flow.StartAction, []);
  return paths;
}

/** The contact attributes the alert really sets, captured from the Connect adapter's request. */
async function attributesTheAlertSets(): Promise<string[]> {
  const connect = mockClient(ConnectClient);
  connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'c-1' });
  const caller = new ConnectOperatorCaller({
    client: new ConnectClient({ region: 'eu-west-1' }),
    instanceId: 'instance',
    contactFlowId: 'flow',
    sourcePhoneNumber: '+15555550199',
  });
  await caller.startCall({
    inspectionId: '01JDX0000000000000000000AA',
    stationId: 'litho-07',
    stationName: 'Litho seven',
    confidencePercent: 87,
    callKind: 'anomaly',
    destinationPhoneNumber: '+15555550100',
    contactName: 'Line operator',
    level: 1,
    loop: 1,
    step: 0,
    index: 0,
  });
  const input = connect.commandCalls(StartOutboundVoiceContactCommand)[0]?.args[0].input;
  connect.restore();
  return Object.keys(input?.Attributes ?? {}).sort();
}

describe('the shipped flow file', () => {
  it('is valid flow language as committed, placeholders and all', () => {
    const flow = loadContactFlow(shippedFlowText());
    expect(flow.Version).toBe('2019-10-30');
    expect(flow.byId.get(flow.StartAction)?.Type).toBe('UpdateFlowLoggingBehavior');
  });

  it('has exactly the one deploy-time placeholder serverless.yml substitutes: no safe default decision any more', () => {
    const placeholders = new Set(shippedFlowText().match(/\$\{[^}]*\}/g));
    expect([...placeholders].sort()).toEqual(['${RecordDecisionFunctionArn}']);
    expect(shippedFlowText()).not.toContain('no-input');
  });

  it('ends every path in DisconnectParticipant, with no cycles', () => {
    const flow = shippedFlow();
    const paths = allPaths(flow);
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(flow.byId.get(path.at(-1) as string)?.Type, path.join(' → ')).toBe('DisconnectParticipant');
  });

  it('fits Connect limits: at most 250 actions and under 256,000 characters, also once substituted', () => {
    const substituted = shippedFlowText().replaceAll(
      '${RecordDecisionFunctionArn}',
      `arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:${'x'.repeat(64)}`,
    );
    expect(shippedFlow().Actions.length).toBeLessThanOrEqual(FLOW_LIMITS.maxActions);
    expect(shippedFlowText().length).toBeLessThan(FLOW_LIMITS.maxContentCharacters);
    expect(substituted.length).toBeLessThan(FLOW_LIMITS.maxContentCharacters);
  });

  it('reads only contact attributes the alert sets, and speaks the registry name of the station, never its id', async () => {
    const text = shippedFlowText();
    const referenced = [...new Set([...text.matchAll(/\$\.Attributes\.([A-Za-z0-9_]+)/g)].map((match) => match[1]))].sort();
    const set = await attributesTheAlertSets();
    expect(set).toEqual([
      'callKind',
      'confidencePercent',
      'contactName',
      'escalationLevel',
      'escalationLoop',
      'foldedAnomalies',
      'inspectionId',
      'stationId',
      'stationName',
    ]);
    for (const name of referenced) expect(set).toContain(name);
    expect(referenced).toEqual(['callKind', 'confidencePercent', 'foldedAnomalies', 'stationName']);
  });

  it('records nothing on silence: the only Lambda invocations carry key 1 or 2', () => {
    const flow = shippedFlow();
    const keys = flow.Actions.filter((action) => action.Type === 'InvokeLambdaFunction').map(
      (action) => (action.Parameters.LambdaInvocationAttributes as { key: string }).key,
    );
    expect(keys.sort()).toEqual(['1', '2']);
  });

  it('handles silence and wrong keys at every question, and a failed invocation at every Lambda call', () => {
    const flow = shippedFlow();
    for (const action of flow.Actions) {
      const errors = (action.Transitions.Errors ?? []).map((branch) => branch.ErrorType);
      if (action.Type === 'GetParticipantInput')
        expect(errors).toEqual(expect.arrayContaining(['InputTimeLimitExceeded', 'NoMatchingCondition', 'NoMatchingError']));
      if (action.Type === 'InvokeLambdaFunction') {
        expect(errors).toContain('NoMatchingError');
        expect(action.Parameters.ResponseValidation).toEqual({ ResponseType: 'STRING_MAP' });
      }
      // A value no condition matches (a missing attribute, an error answer) must still lead somewhere.
      if (action.Type === 'Compare') expect(errors, action.Identifier).toContain('NoMatchingCondition');
    }
  });

  it('checks the folded anomalies right after the announcement and goes on to the same question on every branch', () => {
    const flow = shippedFlow();
    const announce = flow.byId.get('announce-anomaly');
    expect(successorsOf(announce!)).toEqual(['check-folded-anomalies']);
    const check = flow.byId.get('check-folded-anomalies');
    expect(check?.Parameters).toEqual({ ComparisonValue: '$.Attributes.foldedAnomalies' });
    const branches = successorsOf(check!);
    expect(branches.sort()).toEqual(['ask-decision', 'say-more-anomalies', 'say-one-more-anomaly']);
    for (const sentence of ['say-more-anomalies', 'say-one-more-anomaly']) expect(successorsOf(flow.byId.get(sentence)!)).toEqual(['ask-decision']);
  });

  it('sets a neural voice before anything is said', () => {
    const flow = shippedFlow();
    const voice = flow.Actions.find((action) => action.Type === 'UpdateContactTextToSpeechVoice');
    expect(voice?.Parameters).toMatchObject({ TextToSpeechEngine: 'Neural' });
    const order = allPaths(flow)[0] ?? [];
    const firstPrompt = order.findIndex((id) => ['MessageParticipant', 'GetParticipantInput'].includes(flow.byId.get(id)?.Type ?? ''));
    expect(order.indexOf(voice?.Identifier as string)).toBeLessThan(firstPrompt);
  });
});
