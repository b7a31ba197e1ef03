import { describe, expect, it } from 'vitest';
import { ContactFlowRuntimeError, ContactSession, runContact, ssmlToText } from '../../../local/contact-flow-interpreter/contact-session';
import { ContactFlowValidationError, loadContactFlow } from '../../../local/contact-flow-interpreter/flow-language';

type RawAction = { Identifier: string; Type: string; Parameters?: Record<string, unknown>; Transitions?: Record<string, unknown> };

const hangUp: RawAction = { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} };

function flowText(actions: RawAction[], start = actions[0]?.Identifier ?? 'bye', version = '2019-10-30'): string {
  return JSON.stringify({ Version: version, StartAction: start, Actions: actions });
}

function problemsOf(text: string, substitutions?: Record<string, string>): string[] {
  try {
    loadContactFlow(text, substitutions ? { substitutions } : {});
  } catch (error) {
    if (error instanceof ContactFlowValidationError) return error.problems;
    throw error;
  }
  return [];
}

const say = (id: string, text: string, next = 'bye'): RawAction => ({
  Identifier: id,
  Type: 'MessageParticipant',
  Parameters: { Text: text },
  Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
});

/** A Compare on $.Attributes.level with one condition, every branch to `bye`. */
const compareLevel = (condition: { Operator: string; Operands: string[] }): RawAction => ({
  Identifier: 'check',
  Type: 'Compare',
  Parameters: { ComparisonValue: '$.Attributes.level' },
  Transitions: {
    NextAction: 'bye',
    Conditions: [{ NextAction: 'bye', Condition: condition }],
    Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingCondition' }],
  },
});

describe('loadContactFlow rejects flows Connect would refuse or that would strand a caller', () => {
  it('accepts a minimal valid flow', () => {
    expect(problemsOf(flowText([say('hello', 'Hello'), hangUp]))).toEqual([]);
  });

  it.each([
    ['an unknown action type', [{ ...say('hello', 'Hi'), Type: 'PlayPromptMaybe' }, hangUp], /"hello" \(PlayPromptMaybe\): unknown or unsupported action type/],
    [
      'a missing required parameter',
      [{ Identifier: 'log', Type: 'UpdateFlowLoggingBehavior', Parameters: {}, Transitions: { NextAction: 'bye' } }, hangUp],
      /missing required parameter FlowLoggingBehavior/,
    ],
    [
      'a misspelt parameter',
      [
        { Identifier: 'log', Type: 'UpdateFlowLoggingBehavior', Parameters: { FlowLoggingBehavior: 'Enabled', Foo: 1 }, Transitions: { NextAction: 'bye' } },
        hangUp,
      ],
      /unknown parameter Foo/,
    ],
    [
      'a Lambda time limit above Connect’s 8 seconds',
      [
        {
          Identifier: 'fn',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'arn', InvocationTimeLimitSeconds: '9' },
          Transitions: { NextAction: 'bye', Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }] },
        },
        hangUp,
      ],
      /InvocationTimeLimitSeconds must be a whole number of seconds from 1 to 8/,
    ],
    [
      'a prompt with both Text and SSML',
      [{ ...say('hello', 'Hi'), Parameters: { Text: 'Hi', SSML: '<speak>Hi</speak>' } }, hangUp],
      /exactly one of PromptId, Text, SSML, Media/,
    ],
    ['a dangling NextAction', [say('hello', 'Hi', 'nowhere'), hangUp], /NextAction "nowhere" does not exist/],
    [
      'a dangling condition target',
      [
        {
          Identifier: 'ask',
          Type: 'GetParticipantInput',
          Parameters: { Text: 'Press 1', InputTimeLimitSeconds: '5' },
          Transitions: { NextAction: 'bye', Conditions: [{ NextAction: 'ghost', Condition: { Operator: 'Equals', Operands: ['1'] } }], Errors: [] },
        },
        hangUp,
      ],
      /Conditions\[0\] NextAction "ghost" does not exist/,
    ],
    [
      'an error type the action cannot raise',
      [{ ...say('hello', 'Hi'), Transitions: { NextAction: 'bye', Errors: [{ NextAction: 'bye', ErrorType: 'InputTimeLimitExceeded' }] } }, hangUp],
      /ErrorType InputTimeLimitExceeded cannot occur on this action/,
    ],
    [
      'an operator the flow language does not have (there is no NumberEquals)',
      [compareLevel({ Operator: 'NumberEquals', Operands: ['1'] }), hangUp],
      /Conditions\[0\] has unsupported Operator NumberEquals/,
    ],
    [
      'a number condition on an operand that is not a number, which could never match',
      [compareLevel({ Operator: 'NumberGreaterThan', Operands: ['one'] }), hangUp],
      /Conditions\[0\] NumberGreaterThan needs numeric Operands/,
    ],
    ['an unreachable action', [say('hello', 'Hi'), say('orphan', 'Nobody hears this'), hangUp], /action "orphan" is unreachable from StartAction/],
    ['a duplicate identifier', [say('hello', 'Hi'), say('hello', 'Again'), hangUp], /duplicate Identifier "hello"/],
    ['a forbidden identifier character', [say('say:hello', 'Hi'), hangUp], /forbids/],
    ['a non-terminal action without NextAction', [{ ...say('hello', 'Hi'), Transitions: {} }, hangUp], /missing Transitions.NextAction/],
    ['a disconnect with transitions', [say('hello', 'Hi'), { ...hangUp, Transitions: { NextAction: 'hello' } }], /terminal action has no transitions/],
  ] as const)('%s', (_, actions, expected) => {
    const problems = problemsOf(flowText(actions as unknown as RawAction[]));
    expect(problems.join('\n')).toMatch(expected);
  });

  it('rejects another version, a missing StartAction and non-JSON', () => {
    expect(problemsOf(flowText([hangUp], 'bye', '2020-01-01')).join('\n')).toMatch(/Version must be "2019-10-30"/);
    expect(problemsOf(flowText([hangUp], 'start')).join('\n')).toMatch(/StartAction "start" does not exist/);
    expect(problemsOf('{"Version": ').join('\n')).toMatch(/not JSON/);
  });

  it('substitutes deploy-time placeholders and rejects one without a value', () => {
    const text = flowText([say('hello', 'Calling ${Who}'), hangUp]);
    expect(loadContactFlow(text, { substitutions: { Who: 'the operator' } }).byId.get('hello')?.Parameters.Text).toBe('Calling the operator');
    expect(problemsOf(text, {}).join('\n')).toMatch(/placeholder \$\{Who\} has no substitution/);
  });
});

describe('ContactSession runs a contact the way Connect does', () => {
  const noLambda = async () => {
    throw new Error('no function expected');
  };

  it('speaks SSML as plain text with attribute and Lambda references filled', async () => {
    const flow = loadContactFlow(
      flowText([
        {
          Identifier: 'fn',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'arn:fn', InvocationTimeLimitSeconds: '3', LambdaInvocationAttributes: { who: '$.Attributes.name' } },
          Transitions: { NextAction: 'hello', Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }] },
        },
        {
          Identifier: 'hello',
          Type: 'MessageParticipant',
          Parameters: {
            SSML: '<speak>Hello <emphasis>$.Attributes.name</emphasis> &amp; team, you are $.External.rank; old spelling $.Lambda.rank. Unknown: [$.Attributes.nope]</speak>',
          },
          Transitions: { NextAction: 'bye' },
        },
        hangUp,
      ]),
    );
    const session = await runContact(flow, {
      contactId: 'c-1',
      attributes: { name: 'Ada' },
      invokeLambda: async (_, event) => ({ rank: `first for ${event.Details.Parameters.who}` }),
    });
    expect(session.spoken).toEqual(['Hello Ada & team, you are first for Ada; old spelling first for Ada. Unknown: []']);
    expect(session.lambdaInvocations[0]?.event.Details.Parameters).toEqual({ who: 'Ada' });
    expect(session.state).toBe('disconnected');
  });

  it('follows Compare conditions and NoMatchingCondition, and UpdateContactAttributes changes what later actions see', async () => {
    const flow = loadContactFlow(
      flowText([
        {
          Identifier: 'set',
          Type: 'UpdateContactAttributes',
          Parameters: { Attributes: { level: '$.Attributes.start' }, TargetContact: 'Current' },
          Transitions: { NextAction: 'check' },
        },
        {
          Identifier: 'check',
          Type: 'Compare',
          Parameters: { ComparisonValue: '$.Attributes.level' },
          Transitions: {
            NextAction: 'low',
            Conditions: [{ NextAction: 'high', Condition: { Operator: 'NumberGreaterThan', Operands: ['50'] } }],
            Errors: [{ NextAction: 'low', ErrorType: 'NoMatchingCondition' }],
          },
        },
        say('high', 'High'),
        say('low', 'Low'),
        hangUp,
      ]),
    );
    expect((await runContact(flow, { contactId: 'c', attributes: { start: '87' }, invokeLambda: noLambda })).spoken).toEqual(['High']);
    const low = await runContact(flow, { contactId: 'c', attributes: { start: '12' }, invokeLambda: noLambda });
    expect(low.spoken).toEqual(['Low']);
    expect(low.contactAttributes).toEqual({ start: '12', level: '12' });
  });

  it('compares Number operators as numbers and Equals as text, and a missing attribute matches neither', async () => {
    // Prepare
    const flow = loadContactFlow(
      flowText([
        {
          Identifier: 'check',
          Type: 'Compare',
          Parameters: { ComparisonValue: '$.Attributes.count' },
          Transitions: {
            NextAction: 'none',
            Conditions: [
              { NextAction: 'exactly-one', Condition: { Operator: 'Equals', Operands: ['1'] } },
              { NextAction: 'above-nine', Condition: { Operator: 'NumberGreaterThan', Operands: ['9'] } },
              { NextAction: 'up-to-nine', Condition: { Operator: 'NumberLessOrEqualTo', Operands: ['9'] } },
            ],
            Errors: [{ NextAction: 'none', ErrorType: 'NoMatchingCondition' }],
          },
        },
        say('exactly-one', 'Exactly one'),
        say('above-nine', 'Above nine'),
        say('up-to-nine', 'Up to nine'),
        say('none', 'None'),
        hangUp,
      ]),
    );
    const heard = async (attributes: Record<string, string>) => (await runContact(flow, { contactId: 'c', attributes, invokeLambda: noLambda })).spoken;

    // Act
    const contacts: Record<string, string>[] = [{ count: '1' }, { count: '10' }, { count: '1.0' }, { count: ' ' }, { count: 'ten' }, {}];
    const answers = await Promise.all(contacts.map(heard));

    // Assess: "10" > "9" only as numbers; "1.0" is not the text "1" but is a number; blank, words and a missing attribute match nothing.
    expect(answers).toEqual([['Exactly one'], ['Above nine'], ['Up to nine'], ['None'], ['None'], ['None']]);
  });

  it('takes the error branch when a STRING_MAP function returns nested values or does not answer in time', async () => {
    const flow = loadContactFlow(
      flowText([
        {
          Identifier: 'fn',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'arn:fn', InvocationTimeLimitSeconds: '1', ResponseValidation: { ResponseType: 'STRING_MAP' } },
          Transitions: { NextAction: 'ok', Errors: [{ NextAction: 'failed', ErrorType: 'NoMatchingError' }] },
        },
        say('ok', 'OK'),
        say('failed', 'Failed'),
        hangUp,
      ]),
    );
    const nested = await runContact(flow, { contactId: 'c', attributes: {}, invokeLambda: async () => ({ status: { deep: 'x' } }) });
    expect(nested.spoken).toEqual(['Failed']);
    expect(nested.lambdaInvocations[0]?.error).toMatch(/STRING_MAP/);
    const hung = await runContact(flow, { contactId: 'c', attributes: {}, invokeLambda: () => new Promise(() => {}) });
    expect(hung.spoken).toEqual(['Failed']);
    expect(hung.lambdaInvocations[0]?.error).toMatch(/did not answer within 1 s/);
  });

  it('waits for input only at GetParticipantInput and refuses keys that are not telephone keys', async () => {
    const flow = loadContactFlow(
      flowText([
        {
          Identifier: 'ask',
          Type: 'GetParticipantInput',
          Parameters: { Text: 'Press 1', InputTimeLimitSeconds: '5' },
          Transitions: {
            NextAction: 'other',
            Conditions: [{ NextAction: 'one', Condition: { Operator: 'Equals', Operands: ['1'] } }],
            Errors: [
              { NextAction: 'silent', ErrorType: 'InputTimeLimitExceeded' },
              { NextAction: 'other', ErrorType: 'NoMatchingCondition' },
            ],
          },
        },
        say('one', 'One'),
        say('other', 'Other'),
        say('silent', 'Silent'),
        hangUp,
      ]),
    );
    const session = await new ContactSession(flow, { contactId: 'c', attributes: {}, invokeLambda: noLambda }).start();
    expect(session.state).toBe('awaiting-input');
    await expect(session.press('12')).rejects.toThrow(ContactFlowRuntimeError);
    await session.press('timeout');
    expect(session.spoken).toEqual(['Press 1', 'Silent']);
    await expect(session.press('1')).rejects.toThrow(/not waiting for input \(disconnected\)/);
    expect((await runContact(flow, { contactId: 'c', attributes: {}, invokeLambda: noLambda, inputs: ['5'] })).spoken.at(-1)).toBe('Other');
  });

  it('fails loudly on an error without a branch and on a looping flow', async () => {
    const unhandled = loadContactFlow(
      flowText([
        {
          Identifier: 'fn',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'arn:fn', InvocationTimeLimitSeconds: '1' },
          Transitions: { NextAction: 'bye' },
        },
        hangUp,
      ]),
    );
    await expect(runContact(unhandled, { contactId: 'c', attributes: {}, invokeLambda: noLambda })).rejects.toThrow(/raised NoMatchingError and has no branch/);
    const looping = loadContactFlow(
      flowText([
        { Identifier: 'a', Type: 'UpdateFlowLoggingBehavior', Parameters: { FlowLoggingBehavior: 'Enabled' }, Transitions: { NextAction: 'b' } },
        { Identifier: 'b', Type: 'UpdateFlowLoggingBehavior', Parameters: { FlowLoggingBehavior: 'Disabled' }, Transitions: { NextAction: 'a' } },
      ]),
    );
    await expect(runContact(looping, { contactId: 'c', attributes: {}, invokeLambda: noLambda, maxSteps: 20 })).rejects.toThrow(/the flow loops/);
  });

  it('ssmlToText strips tags and decodes the XML entities', () => {
    expect(ssmlToText('<speak>  A &lt;b&gt; <break time="1s"/> &quot;c&quot; &apos;d&apos;\n</speak>')).toBe('A <b> "c" \'d\'');
  });
});
