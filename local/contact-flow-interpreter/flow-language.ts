/**
 * The subset of the Amazon Connect Flow language (Version 2019-10-30) that waferwatch's flows use,
 * checked the way a careful reviewer would before deploying: dev and test code, never deployed.
 *
 * Action names, parameters and error types follow the Connect API reference pages
 * "Actions in the Amazon Connect Flow language" (participant-actions-*, flow-control-actions-*,
 * contact-actions-*, interactions-invokelambdafunction).
 */

/** The only flow-language version Connect accepts today. */
export const FLOW_LANGUAGE_VERSION = '2019-10-30';

/** Connect's limits on one flow: CreateContactFlow / AWS::Connect::ContactFlow Content is at most 256,000 characters. */
export const FLOW_LIMITS = { maxActions: 250, maxContentCharacters: 256_000, maxIdentifierLength: 50 } as const;

/** A condition on a Compare or GetParticipantInput result. */
export interface FlowCondition {
  NextAction: string;
  Condition: { Operator: string; Operands: string[] };
}

/** An error branch. */
export interface FlowErrorBranch {
  NextAction: string;
  ErrorType: string;
}

/** One step of a flow. */
export interface FlowAction {
  Identifier: string;
  Type: string;
  Parameters: Record<string, unknown>;
  Transitions: {
    NextAction?: string;
    Conditions?: FlowCondition[];
    Errors?: FlowErrorBranch[];
  };
}

/** A parsed, checked flow. */
export interface ContactFlow {
  Version: string;
  StartAction: string;
  Actions: FlowAction[];
  /** The actions by Identifier. */
  byId: ReadonlyMap<string, FlowAction>;
}

type ParameterCheck = (value: unknown) => string | undefined;

interface ActionRule {
  /** Parameters that must be present. */
  required: readonly string[];
  /** Every parameter the action may carry, with its check. Anything else is a typo or unsupported. */
  parameters: Readonly<Record<string, ParameterCheck>>;
  /** Error types the action can raise (Transitions.Errors[].ErrorType). */
  errors: readonly string[];
  /** Whether Transitions.Conditions are meaningful. */
  conditions: boolean;
  /** A terminal action ends the flow: no transitions at all. */
  terminal?: boolean;
  /** Exactly one of these parameters must be set (the prompt of a participant action). */
  exactlyOneOf?: readonly string[];
}

const anyString: ParameterCheck = (value) => (typeof value === 'string' ? undefined : 'must be a string');
const oneOf =
  (...allowed: string[]): ParameterCheck =>
  (value) =>
    typeof value === 'string' && allowed.includes(value) ? undefined : `must be one of ${allowed.join(', ')}`;
const integerSeconds =
  (min: number, max: number): ParameterCheck =>
  (value) => {
    const text = typeof value === 'number' ? String(value) : value;
    return typeof text === 'string' && /^\d+$/.test(text) && Number(text) >= min && Number(text) <= max
      ? undefined
      : `must be a whole number of seconds from ${min} to ${max}`;
  };
const stringMap: ParameterCheck = (value) =>
  isPlainObject(value) && Object.values(value).every((entry) => typeof entry === 'string') ? undefined : 'must be an object of string values';
const singleJsonPath: ParameterCheck = (value) =>
  typeof value === 'string' && JSON_PATH.test(value) ? undefined : 'must be a single JSONPath reference such as $.Attributes.name';
const promptMedia: ParameterCheck = (value) =>
  isPlainObject(value) && typeof value.Uri === 'string' && value.SourceType === 'S3' && value.MediaType === 'Audio'
    ? undefined
    : 'must be { Uri, SourceType: "S3", MediaType: "Audio" }';
const responseValidation: ParameterCheck = (value) =>
  isPlainObject(value) && (value.ResponseType === 'STRING_MAP' || value.ResponseType === 'JSON') && Object.keys(value).length === 1
    ? undefined
    : 'must be { ResponseType: "STRING_MAP" | "JSON" }';
const trueFalse = oneOf('True', 'False');

const PROMPT_PARAMETERS = { PromptId: anyString, Text: anyString, SSML: anyString, Media: promptMedia } as const;

/**
 * The action types this interpreter understands, with their parameters and error types as the Connect
 * flow-language reference defines them. A flow using any other type is rejected rather than half-run.
 */
export const ACTION_RULES: Readonly<Record<string, ActionRule>> = {
  UpdateFlowLoggingBehavior: {
    required: ['FlowLoggingBehavior'],
    parameters: { FlowLoggingBehavior: oneOf('Enabled', 'Disabled') },
    errors: [],
    conditions: false,
  },
  UpdateContactTextToSpeechVoice: {
    required: ['TextToSpeechVoice'],
    parameters: {
      TextToSpeechVoice: anyString,
      TextToSpeechEngine: oneOf('Standard', 'Neural', 'Generative'),
      TextToSpeechStyle: oneOf('None', 'Conversational', 'Newscaster'),
    },
    errors: ['NoMatchingError'],
    conditions: false,
  },
  MessageParticipant: {
    required: [],
    parameters: PROMPT_PARAMETERS,
    exactlyOneOf: ['PromptId', 'Text', 'SSML', 'Media'],
    errors: ['NoMatchingError'],
    conditions: false,
  },
  GetParticipantInput: {
    required: ['InputTimeLimitSeconds'],
    parameters: {
      ...PROMPT_PARAMETERS,
      InputTimeLimitSeconds: integerSeconds(1, 180),
      StoreInput: trueFalse,
      InputValidation: (value) => (isPlainObject(value) ? undefined : 'must be an object'),
      InputEncryption: (value) => (isPlainObject(value) ? undefined : 'must be an object'),
      DTMFConfiguration: (value) => (isPlainObject(value) ? undefined : 'must be an object'),
    },
    exactlyOneOf: ['PromptId', 'Text', 'SSML', 'Media'],
    errors: ['InputTimeLimitExceeded', 'NoMatchingCondition', 'NoMatchingError', 'InvalidPhoneNumber'],
    conditions: true,
  },
  InvokeLambdaFunction: {
    required: ['LambdaFunctionARN', 'InvocationTimeLimitSeconds'],
    parameters: {
      LambdaFunctionARN: anyString,
      InvocationTimeLimitSeconds: integerSeconds(1, 8),
      InvocationType: oneOf('SYNCHRONOUS', 'ASYNCHRONOUS'),
      LambdaInvocationAttributes: stringMap,
      ResponseValidation: responseValidation,
    },
    errors: ['NoMatchingError'],
    conditions: false,
  },
  UpdateContactAttributes: {
    required: ['Attributes'],
    parameters: { Attributes: stringMap, TargetContact: oneOf('Current', 'Related') },
    errors: ['NoMatchingError'],
    conditions: false,
  },
  Compare: {
    required: ['ComparisonValue'],
    parameters: { ComparisonValue: singleJsonPath },
    errors: ['NoMatchingCondition'],
    conditions: true,
  },
  DisconnectParticipant: { required: [], parameters: {}, errors: [], conditions: false, terminal: true },
};

/**
 * Condition operators the interpreter evaluates: the flow language's whole list. There is no NumberEquals;
 * an exact number is matched with Equals on its text.
 */
export const CONDITION_OPERATORS = [
  'Equals',
  'TextContains',
  'TextStartsWith',
  'TextEndsWith',
  'NumberGreaterThan',
  'NumberGreaterOrEqualTo',
  'NumberLessThan',
  'NumberLessOrEqualTo',
] as const;

/** A reference to flow data: `$.Attributes.name`, `$.External.name` (Lambda results; `$.Lambda.` is its older spelling) or a contact field. */
export const JSON_PATH = /^\$\.(?:(?:Attributes|External|Lambda)\.[A-Za-z0-9_]+|ContactId|InitialContactId|Channel)$/;

// Characters and names the flow language forbids in an Identifier.
const FORBIDDEN_IDENTIFIER_CHARACTERS = /[%:(\\/)=$,;[\]{}]/;
const FORBIDDEN_IDENTIFIERS = new Set([
  '__proto__',
  'constructor',
  '__defineGetter__',
  '__defineSetter__',
  'toString',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'valueOf',
]);

/** Thrown when a flow would not deploy or would strand a caller; lists every problem found. */
export class ContactFlowValidationError extends Error {
  override name = 'ContactFlowValidationError';
  constructor(readonly problems: string[]) {
    super(`The contact flow is invalid:\n- ${problems.join('\n- ')}`);
  }
}

export interface LoadContactFlowOptions {
  /**
   * Values for `${Name}` placeholders, replaced before parsing the way CloudFormation's Fn::Sub does at
   * deploy time. When given, a placeholder without a value is an error; when omitted, placeholders stay as text.
   */
  substitutions?: Readonly<Record<string, string>>;
}

/**
 * Parse and check flow-language text. Rejects: bad JSON or version, unknown action types, missing,
 * unknown or malformed parameters (per ACTION_RULES), duplicate or illegal identifiers, transitions to
 * actions that do not exist (dangling), error types an action cannot raise, non-terminal actions without
 * a NextAction, and actions no path from StartAction reaches. Throws ContactFlowValidationError.
 */
export function loadContactFlow(text: string, options: LoadContactFlowOptions = {}): ContactFlow {
  const problems: string[] = [];
  const source = options.substitutions ? substitute(text, options.substitutions, problems) : text;
  let document: unknown;
  try {
    document = JSON.parse(source);
  } catch (error) {
    throw new ContactFlowValidationError([`not JSON: ${(error as Error).message}`]);
  }
  if (!isPlainObject(document)) throw new ContactFlowValidationError(['the flow must be a JSON object']);
  if (document.Version !== FLOW_LANGUAGE_VERSION) problems.push(`Version must be "${FLOW_LANGUAGE_VERSION}"`);
  if (typeof document.StartAction !== 'string') problems.push('StartAction must name an action');
  if (!Array.isArray(document.Actions) || document.Actions.length === 0) {
    throw new ContactFlowValidationError([...problems, 'Actions must be a non-empty array']);
  }

  const actions: FlowAction[] = [];
  const byId = new Map<string, FlowAction>();
  document.Actions.forEach((raw: unknown, index: number) => {
    const action = checkActionShape(raw, index, problems);
    if (!action) return;
    if (byId.has(action.Identifier)) problems.push(`duplicate Identifier "${action.Identifier}"`);
    byId.set(action.Identifier, action);
    actions.push(action);
  });

  for (const action of actions) checkAction(action, byId, problems);

  const start = document.StartAction as string;
  if (typeof start === 'string' && !byId.has(start)) problems.push(`StartAction "${start}" does not exist`);
  if (typeof start === 'string' && byId.has(start)) {
    const reached = reachableFrom(start, byId);
    for (const action of actions) {
      if (!reached.has(action.Identifier)) problems.push(`action "${action.Identifier}" is unreachable from StartAction`);
    }
  }

  if (problems.length > 0) throw new ContactFlowValidationError(problems);
  return { Version: FLOW_LANGUAGE_VERSION, StartAction: start, Actions: actions, byId };
}

/** The Identifiers an action can hand the contact to: NextAction, every condition's and every error's. */
export function successorsOf(action: FlowAction): string[] {
  const { NextAction, Conditions = [], Errors = [] } = action.Transitions;
  const next = [...Conditions.map((condition) => condition.NextAction), ...Errors.map((branch) => branch.NextAction)];
  if (NextAction !== undefined) next.unshift(NextAction);
  return [...new Set(next)];
}

function reachableFrom(start: string, byId: ReadonlyMap<string, FlowAction>): Set<string> {
  const reached = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const action = byId.get(queue.shift() as string);
    if (!action) continue;
    for (const next of successorsOf(action)) {
      if (byId.has(next) && !reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  return reached;
}

function checkActionShape(raw: unknown, index: number, problems: string[]): FlowAction | undefined {
  if (!isPlainObject(raw)) {
    problems.push(`Actions[${index}] is not an object`);
    return undefined;
  }
  const { Identifier, Type, Parameters = {}, Transitions = {} } = raw;
  if (typeof Identifier !== 'string' || Identifier.length === 0) {
    problems.push(`Actions[${index}] has no Identifier`);
    return undefined;
  }
  if (Identifier.length > FLOW_LIMITS.maxIdentifierLength)
    problems.push(`Identifier "${Identifier}" is longer than ${FLOW_LIMITS.maxIdentifierLength} characters`);
  if (FORBIDDEN_IDENTIFIER_CHARACTERS.test(Identifier) || FORBIDDEN_IDENTIFIERS.has(Identifier)) {
    problems.push(`Identifier "${Identifier}" uses a character or name the flow language forbids`);
  }
  if (typeof Type !== 'string') {
    problems.push(`action "${Identifier}" has no Type`);
    return undefined;
  }
  if (!isPlainObject(Parameters)) problems.push(`action "${Identifier}": Parameters must be an object`);
  if (!isPlainObject(Transitions)) problems.push(`action "${Identifier}": Transitions must be an object`);
  return {
    Identifier,
    Type,
    Parameters: isPlainObject(Parameters) ? Parameters : {},
    Transitions: isPlainObject(Transitions) ? Transitions : {},
  };
}

function checkAction(action: FlowAction, byId: ReadonlyMap<string, FlowAction>, problems: string[]): void {
  const where = `action "${action.Identifier}" (${action.Type})`;
  const rule = ACTION_RULES[action.Type];
  if (!rule || !Object.hasOwn(ACTION_RULES, action.Type)) {
    problems.push(`${where}: unknown or unsupported action type`);
    return;
  }

  for (const name of rule.required) {
    if (action.Parameters[name] === undefined) problems.push(`${where}: missing required parameter ${name}`);
  }
  for (const [name, value] of Object.entries(action.Parameters)) {
    const check = Object.hasOwn(rule.parameters, name) ? rule.parameters[name] : undefined;
    if (!check) {
      problems.push(`${where}: unknown parameter ${name}`);
      continue;
    }
    const problem = check(value);
    if (problem) problems.push(`${where}: parameter ${name} ${problem}`);
  }
  if (rule.exactlyOneOf) {
    const given = rule.exactlyOneOf.filter((name) => action.Parameters[name] !== undefined);
    if (given.length !== 1) problems.push(`${where}: exactly one of ${rule.exactlyOneOf.join(', ')} must be set (found ${given.length})`);
  }

  const { NextAction, Conditions, Errors } = action.Transitions;
  if (rule.terminal) {
    if (NextAction !== undefined || (Conditions?.length ?? 0) > 0 || (Errors?.length ?? 0) > 0) {
      problems.push(`${where}: a terminal action has no transitions`);
    }
    return;
  }
  if (typeof NextAction !== 'string') problems.push(`${where}: missing Transitions.NextAction`);
  else if (!byId.has(NextAction)) problems.push(`${where}: NextAction "${NextAction}" does not exist`);

  if (Conditions !== undefined) {
    if (!Array.isArray(Conditions)) problems.push(`${where}: Conditions must be an array`);
    else if (Conditions.length > 0 && !rule.conditions) problems.push(`${where}: this action type supports no Conditions`);
    else {
      Conditions.forEach((condition, index) => {
        const operator = condition?.Condition?.Operator;
        const operands = condition?.Condition?.Operands;
        if (!(CONDITION_OPERATORS as readonly string[]).includes(operator))
          problems.push(`${where}: Conditions[${index}] has unsupported Operator ${String(operator)}`);
        if (!Array.isArray(operands) || operands.length === 0 || !operands.every((operand) => typeof operand === 'string')) {
          problems.push(`${where}: Conditions[${index}] needs string Operands`);
        } else if (typeof operator === 'string' && operator.startsWith('Number') && !operands.every(isNumberText)) {
          // A number condition on a non-number never matches: the branch would be silently dead.
          problems.push(`${where}: Conditions[${index}] ${operator} needs numeric Operands`);
        }
        if (typeof condition?.NextAction !== 'string' || !byId.has(condition.NextAction)) {
          problems.push(`${where}: Conditions[${index}] NextAction "${String(condition?.NextAction)}" does not exist`);
        }
      });
    }
  }
  if (Errors !== undefined) {
    if (!Array.isArray(Errors)) problems.push(`${where}: Errors must be an array`);
    else {
      const seen = new Set<string>();
      Errors.forEach((branch, index) => {
        if (!rule.errors.includes(branch?.ErrorType))
          problems.push(`${where}: Errors[${index}] ErrorType ${String(branch?.ErrorType)} cannot occur on this action`);
        if (seen.has(branch?.ErrorType)) problems.push(`${where}: ErrorType ${branch.ErrorType} is handled twice`);
        seen.add(branch?.ErrorType);
        if (typeof branch?.NextAction !== 'string' || !byId.has(branch.NextAction)) {
          problems.push(`${where}: Errors[${index}] NextAction "${String(branch?.NextAction)}" does not exist`);
        }
      });
    }
  }
}

function substitute(text: string, substitutions: Readonly<Record<string, string>>, problems: string[]): string {
  return text.replace(/\$\{([A-Za-z0-9_.:]+)\}/g, (placeholder, name: string) => {
    // Inserted raw, as Fn::Sub does: a value that breaks the JSON breaks it here too.
    if (Object.hasOwn(substitutions, name)) return substitutions[name] as string;
    problems.push(`placeholder ${placeholder} has no substitution`);
    return placeholder;
  });
}

/** Whether text reads as a finite decimal number, the way the Number* operators compare it. */
export function isNumberText(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
