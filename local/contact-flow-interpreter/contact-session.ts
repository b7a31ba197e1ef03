import type { ConnectContactFlowEvent } from 'aws-lambda';
import { CONDITION_OPERATORS, isNumberText, type ContactFlow, type FlowAction } from './flow-language';

/**
 * Runs one voice contact through a checked flow (see flow-language.ts), the way Amazon Connect would:
 * prompts become spoken text, GetParticipantInput waits for a key or a timeout, InvokeLambdaFunction
 * calls the given function with the event Connect sends, and transitions follow Conditions, Errors and
 * NextAction. Dev and test code, never deployed.
 */

/** Calls the function a flow names; resolves with its answer or rejects like a failed invocation. */
export type LambdaInvoker = (functionArn: string, event: ConnectContactFlowEvent) => Promise<unknown>;

/** One InvokeLambdaFunction the contact made, with what came back. */
export interface LambdaInvocation {
  actionId: string;
  functionArn: string;
  event: ConnectContactFlowEvent;
  /** The flat map the flow saw under $.External, when the invocation succeeded. */
  response?: Record<string, string>;
  /** Why the flow took the error branch, when it failed. */
  error?: string;
}

export interface ContactSessionOptions {
  contactId: string;
  /** Contact attributes as StartOutboundVoiceContact set them. */
  attributes: Readonly<Record<string, string>>;
  invokeLambda: LambdaInvoker;
  /** Put in the Lambda event as Details.ContactData.InstanceARN. */
  instanceArn?: string;
  /** Upper bound on actions run, so a looping flow fails a test instead of hanging it. Default 500. */
  maxSteps?: number;
}

/** `awaiting-input`: a GetParticipantInput is waiting for a key; `disconnected`: the flow hung up. */
export type ContactState = 'running' | 'awaiting-input' | 'disconnected';

/** A keypress (one DTMF key) or the operator staying silent until the input time limit. */
export type ParticipantInput = string; // one of 0-9, *, #, or 'timeout'

/** Raised when a flow reaches a state Connect could not continue from (an unhandled error, a loop). */
export class ContactFlowRuntimeError extends Error {
  override name = 'ContactFlowRuntimeError';
}

const DTMF_KEY = /^[0-9*#]$/;

/** One contact's run through a flow. */
export class ContactSession {
  /** Everything said to the participant, in order, as plain text (SSML tags removed, references filled). */
  readonly spoken: string[] = [];
  readonly lambdaInvocations: LambdaInvocation[] = [];
  /** Identifiers of the actions run, in order. */
  readonly path: string[] = [];
  /** Keys pressed and timeouts, in order. */
  readonly inputs: ParticipantInput[] = [];
  state: ContactState = 'running';
  flowLogging: 'Enabled' | 'Disabled' = 'Disabled';
  /** Connect's default voice until UpdateContactTextToSpeechVoice runs. */
  voice: { name: string; engine: string } = { name: 'Joanna', engine: 'Standard' };

  private readonly attributes: Record<string, string>;
  private external: Record<string, string> = {};
  private current: FlowAction | undefined;
  private steps = 0;

  constructor(
    private readonly flow: ContactFlow,
    private readonly options: ContactSessionOptions,
  ) {
    this.attributes = { ...options.attributes };
  }

  /** The contact this session runs. */
  get contactId(): string {
    return this.options.contactId;
  }

  /** The contact's attributes now (UpdateContactAttributes changes them). */
  get contactAttributes(): Readonly<Record<string, string>> {
    return { ...this.attributes };
  }

  /** Start at StartAction and run until the flow waits for input or hangs up. */
  async start(): Promise<this> {
    if (this.current || this.state !== 'running') throw new ContactFlowRuntimeError('The contact has already started');
    await this.runFrom(this.flow.StartAction);
    return this;
  }

  /** Answer the waiting GetParticipantInput with a key ('0'-'9', '*', '#') or 'timeout', then run on. */
  async press(input: ParticipantInput): Promise<this> {
    if (this.state !== 'awaiting-input' || !this.current) throw new ContactFlowRuntimeError(`The contact is not waiting for input (${this.state})`);
    if (input !== 'timeout' && !DTMF_KEY.test(input)) throw new ContactFlowRuntimeError(`"${input}" is not a telephone key`);
    const action = this.current;
    this.inputs.push(input);
    this.state = 'running';
    const next =
      input === 'timeout'
        ? this.errorBranch(action, 'InputTimeLimitExceeded')
        : (this.matchingCondition(action, input) ?? this.errorBranch(action, 'NoMatchingCondition'));
    await this.runFrom(next);
    return this;
  }

  private async runFrom(identifier: string): Promise<void> {
    let next: string | undefined = identifier;
    while (next !== undefined) {
      this.steps += 1;
      if (this.steps > (this.options.maxSteps ?? 500))
        throw new ContactFlowRuntimeError(`More than ${this.options.maxSteps ?? 500} actions ran: the flow loops`);
      const action = this.flow.byId.get(next);
      if (!action) throw new ContactFlowRuntimeError(`No action "${next}"`);
      this.current = action;
      this.path.push(action.Identifier);
      next = await this.run(action);
    }
  }

  /** Run one action; the next action's identifier, or undefined when the contact waits or ended. */
  private async run(action: FlowAction): Promise<string | undefined> {
    const parameters = action.Parameters;
    switch (action.Type) {
      case 'UpdateFlowLoggingBehavior':
        this.flowLogging = parameters.FlowLoggingBehavior as 'Enabled' | 'Disabled';
        return this.nextOf(action);
      case 'UpdateContactTextToSpeechVoice':
        this.voice = { name: parameters.TextToSpeechVoice as string, engine: (parameters.TextToSpeechEngine as string | undefined) ?? 'Standard' };
        return this.nextOf(action);
      case 'MessageParticipant':
        this.speak(parameters);
        return this.nextOf(action);
      case 'GetParticipantInput':
        this.speak(parameters);
        this.state = 'awaiting-input';
        return undefined;
      case 'InvokeLambdaFunction':
        return this.invokeLambda(action);
      case 'UpdateContactAttributes':
        for (const [key, value] of Object.entries(parameters.Attributes as Record<string, string>)) {
          this.attributes[this.fill(key)] = this.fill(value);
        }
        return this.nextOf(action);
      case 'Compare':
        return this.matchingCondition(action, this.lookup(parameters.ComparisonValue as string)) ?? this.errorBranch(action, 'NoMatchingCondition');
      case 'DisconnectParticipant':
        this.state = 'disconnected';
        this.current = undefined;
        return undefined;
      default:
        throw new ContactFlowRuntimeError(`Action type ${action.Type} cannot run`);
    }
  }

  private async invokeLambda(action: FlowAction): Promise<string> {
    const parameters = action.Parameters;
    const functionArn = this.fill(parameters.LambdaFunctionARN as string);
    const invocationAttributes = (parameters.LambdaInvocationAttributes as Record<string, string> | undefined) ?? {};
    const event = this.lambdaEvent(Object.fromEntries(Object.entries(invocationAttributes).map(([key, value]) => [key, this.fill(value)])));
    const invocation: LambdaInvocation = { actionId: action.Identifier, functionArn, event };
    this.lambdaInvocations.push(invocation);
    const timeLimitMs = Number(parameters.InvocationTimeLimitSeconds) * 1000;
    const responseType = (parameters.ResponseValidation as { ResponseType?: string } | undefined)?.ResponseType ?? 'STRING_MAP';
    try {
      const answer = await withTimeLimit(this.options.invokeLambda(functionArn, structuredClone(event)), timeLimitMs);
      const flat = toExternal(answer, responseType);
      invocation.response = flat;
      this.external = flat;
      return this.nextOf(action);
    } catch (error) {
      invocation.error = error instanceof Error ? error.message : String(error);
      return this.errorBranch(action, 'NoMatchingError');
    }
  }

  /** The event Connect sends a function invoked from a flow. */
  private lambdaEvent(parameters: Record<string, string>): ConnectContactFlowEvent {
    return {
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: {
          Attributes: { ...this.attributes },
          Channel: 'VOICE',
          ContactId: this.options.contactId,
          CustomerEndpoint: null,
          InitialContactId: this.options.contactId,
          InitiationMethod: 'OUTBOUND',
          InstanceARN: this.options.instanceArn ?? 'arn:aws:connect:us-east-1:000000000000:instance/00000000-0000-4000-8000-000000000000',
          PreviousContactId: this.options.contactId,
          Queue: null,
          SystemEndpoint: null,
          MediaStreams: { Customer: { Audio: null } },
        },
        Parameters: parameters,
      },
    };
  }

  private speak(parameters: Record<string, unknown>): void {
    if (typeof parameters.SSML === 'string') this.spoken.push(ssmlToText(this.fill(parameters.SSML)));
    else if (typeof parameters.Text === 'string') this.spoken.push(normaliseSpace(this.fill(parameters.Text)));
    else if (typeof parameters.PromptId === 'string') this.spoken.push(`[prompt ${this.fill(parameters.PromptId)}]`);
    else this.spoken.push('[audio]');
  }

  /** Replace every flow-data reference in the text with its value; unknown references read as nothing, as in Connect. */
  private fill(text: string): string {
    return text.replace(/\$\.(?:(Attributes|External|Lambda)\.([A-Za-z0-9_]+)|(ContactId|InitialContactId|Channel)\b)/g, (reference) => this.lookup(reference));
  }

  private lookup(reference: string): string {
    const match = /^\$\.(?:(Attributes|External|Lambda)\.([A-Za-z0-9_]+)|(ContactId|InitialContactId|Channel))$/.exec(reference);
    if (!match) return '';
    const [, namespace, name, field] = match;
    if (field === 'Channel') return 'VOICE';
    if (field) return this.options.contactId;
    const source = namespace === 'Attributes' ? this.attributes : this.external;
    return Object.hasOwn(source, name as string) ? (source[name as string] as string) : '';
  }

  private nextOf(action: FlowAction): string {
    const next = action.Transitions.NextAction;
    if (next === undefined) throw new ContactFlowRuntimeError(`Action "${action.Identifier}" has no NextAction`);
    return next;
  }

  private matchingCondition(action: FlowAction, value: string): string | undefined {
    return action.Transitions.Conditions?.find((condition) => holds(condition.Condition.Operator, value, condition.Condition.Operands))?.NextAction;
  }

  /** Connect routes an error to its own branch, else to NoMatchingError; with neither the contact is stranded. */
  private errorBranch(action: FlowAction, errorType: string): string {
    const errors = action.Transitions.Errors ?? [];
    const branch = errors.find((candidate) => candidate.ErrorType === errorType) ?? errors.find((candidate) => candidate.ErrorType === 'NoMatchingError');
    if (!branch) throw new ContactFlowRuntimeError(`Action "${action.Identifier}" raised ${errorType} and has no branch for it`);
    return branch.NextAction;
  }
}

/** Start a contact and feed it inputs one by one while the flow waits for them; resolves with the session. */
export async function runContact(flow: ContactFlow, options: ContactSessionOptions & { inputs?: ParticipantInput[] }): Promise<ContactSession> {
  const session = await new ContactSession(flow, options).start();
  for (const input of options.inputs ?? []) {
    if (session.state !== 'awaiting-input') throw new ContactFlowRuntimeError(`Input "${input}" was given but the contact is ${session.state}`);
    await session.press(input);
  }
  return session;
}

/** Plain text of an SSML prompt: tags removed, the five XML entities decoded, whitespace collapsed. */
export function ssmlToText(ssml: string): string {
  const text = ssml
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
  return normaliseSpace(text);
}

function normaliseSpace(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([.,:;!?])/g, '$1')
    .trim();
}

function holds(operator: string, value: string, operands: string[]): boolean {
  const operand = operands[0] ?? '';
  switch (operator as (typeof CONDITION_OPERATORS)[number]) {
    case 'Equals':
      return value === operand;
    case 'TextContains':
      return value.includes(operand);
    case 'TextStartsWith':
      return value.startsWith(operand);
    case 'TextEndsWith':
      return value.endsWith(operand);
    case 'NumberGreaterThan':
      return isNumberText(value) && Number(value) > Number(operand);
    case 'NumberGreaterOrEqualTo':
      return isNumberText(value) && Number(value) >= Number(operand);
    case 'NumberLessThan':
      return isNumberText(value) && Number(value) < Number(operand);
    case 'NumberLessOrEqualTo':
      return isNumberText(value) && Number(value) <= Number(operand);
    default:
      return false;
  }
}

/** What the flow sees under $.External: STRING_MAP demands a flat map of strings; JSON keeps top-level values as text. */
function toExternal(answer: unknown, responseType: string): Record<string, string> {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw new Error('The function did not return an object');
  }
  const external: Record<string, string> = {};
  for (const [key, value] of Object.entries(answer)) {
    if (typeof value === 'string') external[key] = value;
    else if (responseType === 'JSON') external[key] = JSON.stringify(value);
    else throw new Error(`STRING_MAP response validation failed: "${key}" is not a string`);
  }
  return external;
}

async function withTimeLimit<T>(promise: Promise<T>, limitMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`The function did not answer within ${limitMs / 1000} s`)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
