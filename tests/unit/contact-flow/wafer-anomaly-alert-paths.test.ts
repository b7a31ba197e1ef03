import { describe, expect, it } from 'vitest';
import type { InspectionRecord } from '../../../functions/core/inspection';
import type { DecisionKind } from '../../../functions/core/record-operator-decision';
import { createRecordDecisionHandler } from '../../../functions/adapters/connect/record-decision-handler';
import { runContact, type LambdaInvoker, type ParticipantInput } from '../../../local/contact-flow-interpreter/contact-session';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';
import { alertAttributes, anomalousRecord, RECORD_DECISION_ARN, shippedFlow } from './flow-fixtures';

const CONTACT_ID = '5f0c1a9e-0b6a-4c1e-9d7e-2f3a4b5c6d7e';
const DECIDED_AT = new Date('2026-11-26T12:00:00.000Z');

const ANNOUNCEMENT = 'This is waferwatch. Litho seven flagged a wafer. An anomaly was detected with 87 percent confidence.';
const NO_DECISION = 'No key was pressed, so nothing is recorded and the alert stays open. The next person on the list will be called. Goodbye.';
const NOT_RECORDED =
  'Sorry, your answer could not be recorded, so the alert stays open and you may be called again. Please check the inspection on the dashboard. Goodbye.';
const QUESTION = 'Press 1 to keep manufacturing. Press 2 to scrap the wafer.';
const QUESTION_AGAIN = 'Sorry, I did not get that. Press 1 to keep manufacturing, or 2 to scrap the wafer.';

/** The shipped flow, run with the real record-decision handler over an in-memory store holding `record`. */
async function call(inputs: ParticipantInput[], options: { record?: InspectionRecord; invoker?: LambdaInvoker; attributes?: Record<string, string> } = {}) {
  const store = new InMemoryInspectionStore();
  const record = options.record ?? anomalousRecord();
  await store.putRecord(record);
  const writesBefore = store.records.size;
  const handler = createRecordDecisionHandler(() => ({ store, logger: new MemoryLogger(), now: () => DECIDED_AT }));
  const invoked: string[] = [];
  const invoker: LambdaInvoker =
    options.invoker ??
    (async (functionArn, event) => {
      invoked.push(functionArn);
      return handler(event);
    });
  const attributes = options.attributes ?? alertAttributes(record);
  const session = await runContact(shippedFlow(), { contactId: CONTACT_ID, attributes, invokeLambda: invoker, inputs });
  return { session, store, record, stored: await store.getRecord(record.inspectionId), writesBefore, invoked };
}

describe('the wafer-anomaly-alert flow', () => {
  it('pressing 1 keeps manufacturing: tells station and confidence, records keep, confirms and hangs up', async () => {
    // Prepare + Act
    const { session, stored, record, invoked } = await call(['1']);
    // Assess
    expect(session.flowLogging).toBe('Enabled');
    expect(session.voice).toEqual({ name: 'Joanna', engine: 'Neural' });
    expect(session.spoken).toEqual([ANNOUNCEMENT, QUESTION, 'Thank you. Your decision is recorded: keep manufacturing. Goodbye.']);
    expect(stored?.decision).toEqual({ decision: 'keep', key: '1', contactId: CONTACT_ID, decidedAt: DECIDED_AT.toISOString() });
    expect(invoked).toEqual([RECORD_DECISION_ARN]);
    expect(session.lambdaInvocations[0]?.event).toMatchObject({
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: { ContactId: CONTACT_ID, Channel: 'VOICE', InitiationMethod: 'OUTBOUND', Attributes: alertAttributes(record) },
        Parameters: { key: '1' },
      },
    });
    expect(session.state).toBe('disconnected');
    expect(session.path.at(-1)).toBe('hang-up');
  });

  it('pressing 2 scraps the wafer', async () => {
    const { session, stored } = await call(['2']);
    expect(session.spoken.at(-1)).toBe('Thank you. Your decision is recorded: scrap the wafer. Goodbye.');
    expect(stored?.decision).toMatchObject({ decision: 'scrap', key: '2', contactId: CONTACT_ID });
    expect(session.state).toBe('disconnected');
  });

  it('a wrong key repeats the question once, then 1 keeps manufacturing', async () => {
    const { session, stored } = await call(['7', '1']);
    expect(session.spoken).toEqual([ANNOUNCEMENT, QUESTION, QUESTION_AGAIN, 'Thank you. Your decision is recorded: keep manufacturing. Goodbye.']);
    expect(stored?.decision).toMatchObject({ decision: 'keep', key: '1' });
  });

  it('silence then 2 repeats the question once and scraps', async () => {
    const { session, stored } = await call(['timeout', '2']);
    expect(session.spoken.filter((line) => line === QUESTION_AGAIN)).toHaveLength(1);
    expect(stored?.decision).toMatchObject({ decision: 'scrap', key: '2' });
  });

  it('silence twice records nothing: says the alert stays open and the next person will be called, and hangs up', async () => {
    const { session, stored, invoked } = await call(['timeout', 'timeout']);
    expect(session.spoken).toEqual([ANNOUNCEMENT, QUESTION, QUESTION_AGAIN, NO_DECISION]);
    expect(stored?.decision).toBeUndefined();
    expect(invoked).toEqual([]);
    expect(session.state).toBe('disconnected');
  });

  it('two wrong keys also record nothing', async () => {
    const { session, stored, invoked } = await call(['9', '#']);
    expect(session.spoken.at(-1)).toBe(NO_DECISION);
    expect(stored?.decision).toBeUndefined();
    expect(invoked).toEqual([]);
  });

  it('a failing record-decision function: the operator hears the answer was not kept and may be called again; nothing is recorded', async () => {
    const failing: LambdaInvoker = async () => {
      throw new Error('Lambda throttled');
    };
    const { session, stored } = await call(['1'], { invoker: failing });
    expect(session.spoken.at(-1)).toBe(NOT_RECORDED);
    expect(session.lambdaInvocations[0]?.error).toBe('Lambda throttled');
    expect(stored?.decision).toBeUndefined();
    expect(session.state).toBe('disconnected');
  });

  it('an error answer from the function (unknown inspection) takes the same not-recorded branch', async () => {
    // Prepare: the call's inspection id has no record.
    const record = anomalousRecord();
    const store = new InMemoryInspectionStore();
    const handler = createRecordDecisionHandler(() => ({ store, logger: new MemoryLogger() }));
    // Act
    const session = await runContact(shippedFlow(), {
      contactId: CONTACT_ID,
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => handler(event),
      inputs: ['2'],
    });
    // Assess
    expect(session.lambdaInvocations[0]?.response).toMatchObject({ status: 'error', code: 'INSPECTION_NOT_FOUND' });
    expect(session.spoken.at(-1)).toBe(NOT_RECORDED);
    expect(store.records.size).toBe(0);
  });

  it('a wafer already decided on another call keeps that decision and the operator is told', async () => {
    const record = anomalousRecord({ decision: { decision: 'scrap', key: '2', contactId: 'earlier-contact', decidedAt: '2026-11-26T11:00:00.000Z' } });
    const { session, stored } = await call(['1'], { record });
    expect(session.spoken.at(-1)).toBe(
      'This wafer was already decided on another call: scrap the wafer. That decision stands. Please check the inspection on the dashboard. Goodbye.',
    );
    expect(stored?.decision).toEqual(record.decision);
  });
});

describe('the wafer-anomaly-alert flow tells the anomalies folded into the call during the station cooldown', () => {
  const KEEP = 'Thank you. Your decision is recorded: keep manufacturing. Goodbye.';
  const SCRAP = 'Thank you. Your decision is recorded: scrap the wafer. Goodbye.';
  const ANSWERS = [
    { inputs: ['1'], heard: [QUESTION, KEEP], decision: 'keep', key: '1' },
    { inputs: ['2'], heard: [QUESTION, SCRAP], decision: 'scrap', key: '2' },
    { inputs: ['timeout', 'timeout'], heard: [QUESTION, QUESTION_AGAIN, NO_DECISION], decision: undefined, key: undefined },
  ] as const satisfies readonly { inputs: ParticipantInput[]; heard: string[]; decision: DecisionKind | undefined; key: string | undefined }[];
  const FOLDED = [
    { folded: 'absent', extra: [] },
    { folded: '0', extra: [] },
    { folded: '1', extra: ['1 more anomalous wafer on this station since the last call.'] },
    { folded: '3', extra: ['3 more anomalous wafers on this station since the last call.'] },
  ] as const;
  const cases = FOLDED.flatMap(({ folded, extra }) => ANSWERS.map((answer) => ({ folded, extra, ...answer })));

  it.each(cases)(
    'foldedAnomalies $folded, keys $inputs: speaks the count sentence (if any) after the confidence, then records $key',
    async ({ folded, extra, inputs, heard, decision, key }) => {
      // Prepare
      const record = anomalousRecord();
      const attributes = alertAttributes(record);
      if (folded === 'absent') delete attributes.foldedAnomalies;
      else attributes.foldedAnomalies = folded;

      // Act
      const { session, stored } = await call([...inputs], { record, attributes });

      // Assess
      expect(session.spoken).toEqual([ANNOUNCEMENT, ...extra, ...heard]);
      if (key === undefined) {
        expect(stored?.decision).toBeUndefined();
        expect(session.lambdaInvocations).toEqual([]);
      } else {
        expect(stored?.decision).toEqual({ decision, key, contactId: CONTACT_ID, decidedAt: DECIDED_AT.toISOString() });
        expect(session.lambdaInvocations.map((invocation) => invocation.event.Details.Parameters)).toEqual([{ key }]);
        expect(session.lambdaInvocations[0]?.event.Details.ContactData.Attributes).toEqual(attributes);
      }
      expect(session.state).toBe('disconnected');
    },
  );

  it.each([
    ['2', '2 more anomalous wafers on this station since the last call.'],
    ['10', '10 more anomalous wafers on this station since the last call.'],
    ['9999', '9999 more anomalous wafers on this station since the last call.'],
  ])('compares the count as a number: %s folded is spoken as the plural sentence', async (folded, sentence) => {
    // Prepare
    const record = anomalousRecord();

    // Act
    const { session } = await call(['1'], { record, attributes: alertAttributes(record, 87, folded) });

    // Assess
    expect(session.spoken.slice(0, 3)).toEqual([ANNOUNCEMENT, sentence, QUESTION]);
  });

  it.each(['', '-1', 'many', '0.5'])('a value that is not a count of at least one (%j) adds no sentence and the menu goes on', async (folded) => {
    // Prepare
    const record = anomalousRecord();

    // Act
    const { session, stored } = await call(['2'], { record, attributes: alertAttributes(record, 87, folded) });

    // Assess
    expect(session.spoken).toEqual([ANNOUNCEMENT, QUESTION, 'Thank you. Your decision is recorded: scrap the wafer. Goodbye.']);
    expect(stored?.decision).toMatchObject({ decision: 'scrap', key: '2' });
  });
});

describe('the wafer-anomaly-alert flow tells anomalies folded during a cooldown on a call of their own', () => {
  it.each([
    [
      '1',
      'This is waferwatch. Litho seven flagged an anomalous wafer since its last call, and nobody has acknowledged it yet. It was detected with 87 percent confidence.',
    ],
    [
      '4',
      'This is waferwatch. Litho seven flagged 4 anomalous wafers since its last call, and nobody has acknowledged them yet. The latest was detected with 87 percent confidence.',
    ],
  ])('callKind folded with %s: says how many, then the same question, and 2 records scrap', async (folded, announcement) => {
    // Prepare
    const record = anomalousRecord();
    // Act
    const { session, stored } = await call(['2'], { record, attributes: alertAttributes(record, 87, folded, 'folded') });
    // Assess
    expect(session.spoken).toEqual([announcement, QUESTION, 'Thank you. Your decision is recorded: scrap the wafer. Goodbye.']);
    expect(stored?.decision).toMatchObject({ decision: 'scrap', key: '2' });
  });

  it('callKind folded and silence: nothing recorded, the alert stays open', async () => {
    const record = anomalousRecord();
    const { session, stored } = await call(['timeout', 'timeout'], { record, attributes: alertAttributes(record, 87, '2', 'folded') });
    expect(session.spoken.at(-1)).toBe(NO_DECISION);
    expect(stored?.decision).toBeUndefined();
  });

  it('an unknown callKind is spoken as one anomaly (the flow never falls silent)', async () => {
    const record = anomalousRecord();
    const attributes = { ...alertAttributes(record), callKind: 'something-else' };
    const { session } = await call(['1'], { record, attributes });
    expect(session.spoken[0]).toBe(ANNOUNCEMENT);
  });
});
