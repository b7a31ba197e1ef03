import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { createLambdaContext } from './api-gateway-events';
import type { ConnectContactEvent } from './emulators/connect-emulator';

/**
 * Amazon Connect contact events -> EventBridge rule -> Lambda, for the local stack (dev and test only).
 *
 * The rule is serverless.yml's: the `eventBridge` events of one function (`contactEvents`), whose `pattern` is matched
 * against every event the Connect emulator emits, with EventBridge's matching rules. CloudFormation expressions in the
 * pattern (the instance ARN is `!Sub 'arn:${AWS::Partition}:connect:${AWS::Region}:${AWS::AccountId}:instance/
 * ${param:connectInstanceId}'`) are resolved with the local stack's values, so the local instance's events match and
 * no other's would.
 *
 * A matched event is handed to the handler asynchronously, as EventBridge invokes a Lambda target (an asynchronous
 * invocation): the emitter never waits for it, invocations of different events may overlap and finish in any order,
 * and a handler that throws (or runs past the function's timeout) is invoked again with the same event, at most
 * `maxRetries` (2, Lambda's default for asynchronous invocations) more times, then the event is logged as dropped
 * (deployed, it would go to the function's on-failure destination).
 */

/** An EventBridge event pattern: field names to allowed values (lists) or nested patterns. */
export type EventPattern = { [field: string]: EventPattern | readonly PatternValue[] };

/** A literal (string, number, boolean, null) or a content filter such as `{"prefix": "arn:"}`. */
export type PatternValue = string | number | boolean | null | { [filter: string]: unknown };

/** The handler of the function the rule targets, as deployed (`functions/handlers/contact-events.handler`). */
export type ContactEventHandler = (event: ConnectContactEvent, context: Context) => Promise<unknown>;

/** The rule of one function of serverless.yml, as the local stack delivers it. */
export interface EventBridgeTarget {
  functionName: string;
  /** `functions/handlers/contact-events.handler` as written in serverless.yml. */
  handler: string;
  /** The function's `timeout` in seconds (serverless.yml: the function's, else the provider's), when set. */
  timeoutSeconds?: number;
  /** One pattern per enabled `eventBridge` event of the function; an event matching any of them is delivered. */
  patterns: EventPattern[];
}

/** Values for the `${...}` variables in the pattern (CloudFormation pseudo parameters and serverless variables). */
export type PatternVariables = Readonly<Record<string, string>>;

/** Raised when serverless.yml's rule uses something the local stack cannot reproduce; the message names it. */
export class UnsupportedEventRuleError extends Error {
  override name = 'UnsupportedEventRuleError';
}

const SUPPORTED_FILTERS = new Set(['prefix', 'suffix', 'anything-but', 'exists', 'equals-ignore-case']);

/**
 * The EventBridge rules serverless.yml gives `functionName` (its `events[].eventBridge`), with `${...}` variables and
 * `!Sub`/`Fn::Sub` resolved from `variables`. Undefined when the function, or any enabled eventBridge event of it, is
 * absent. Throws UnsupportedEventRuleError for a rule the local delivery cannot honour (another event bus, an input
 * transformer, an unknown variable or CloudFormation function, an unsupported content filter).
 */
export function readEventBridgeTarget(document: unknown, functionName: string, variables: PatternVariables): EventBridgeTarget | undefined {
  const functions = isObject(document) && isObject(document.functions) ? document.functions : {};
  const definition = functions[functionName];
  if (!isObject(definition) || typeof definition.handler !== 'string') return undefined;
  const events = Array.isArray(definition.events) ? definition.events : [];
  const patterns: EventPattern[] = [];
  for (const event of events) {
    if (!isObject(event) || !isObject(event.eventBridge)) continue;
    const rule = event.eventBridge;
    const where = `serverless.yml functions.${functionName} eventBridge`;
    if (rule.enabled === false) continue;
    if (rule.eventBus !== undefined && rule.eventBus !== 'default') {
      throw new UnsupportedEventRuleError(`${where}: only the default event bus (where Amazon Connect sends its events) is delivered locally`);
    }
    for (const unsupported of ['input', 'inputPath', 'inputTransformer', 'schedule']) {
      if (rule[unsupported] !== undefined) throw new UnsupportedEventRuleError(`${where}: "${unsupported}" is not delivered locally`);
    }
    if (!isObject(rule.pattern)) throw new UnsupportedEventRuleError(`${where}: the rule has no pattern`);
    patterns.push(resolvePattern(rule.pattern, variables, `${where}.pattern`));
  }
  if (patterns.length === 0) return undefined;
  const provider = isObject(document) && isObject(document.provider) ? document.provider : {};
  const timeout = definition.timeout ?? provider.timeout;
  return {
    functionName,
    handler: definition.handler,
    ...(typeof timeout === 'number' && timeout > 0 ? { timeoutSeconds: timeout } : {}),
    patterns,
  };
}

/**
 * Whether an event matches a pattern, by EventBridge's rules: every field of the pattern must be present and match;
 * a list matches when the event's value (or, for an array, any of its elements) equals one of its literals or passes
 * one of its filters; nested objects match nested fields. Filters: `prefix`, `suffix`, `anything-but` (a value, a
 * list, or `{prefix}`), `exists` and `equals-ignore-case`.
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (Array.isArray(expected)) return matchesValues(expected as readonly PatternValue[], value, field in event);
    if (!isObject(value)) return false;
    return matchesEventPattern(expected as EventPattern, value);
  });
}

/** Delivers matched contact events to the handler like EventBridge's asynchronous Lambda invocations. */
export interface ContactEventDelivery {
  /** Offer one event; true when it matched the rule and was queued for the handler. Never waits for the handler. */
  notify(event: ConnectContactEvent): boolean;
  /** Resolves when no invocation is running or waiting (a delay or a retry), including ones queued meanwhile. */
  idle(): Promise<void>;
  /** Counts so far: events offered, matched (queued), handled, invocations failed, events dropped after the retries. */
  stats(): { offered: number; matched: number; handled: number; failedInvocations: number; dropped: number };
  /** Deliver nothing more (waiting retries are dropped) and wait for the invocations in progress. */
  close(): Promise<void>;
}

export interface ContactEventDeliveryOptions {
  /** The function and its rule (readEventBridgeTarget). */
  target: Pick<EventBridgeTarget, 'functionName' | 'patterns' | 'timeoutSeconds'>;
  handler: ContactEventHandler;
  log: (line: string) => void;
  /** Retries after a failed invocation. Default 2 (Lambda's default for asynchronous invocations). */
  maxRetries?: number;
  /** Wait before the first retry; doubles each retry. Default 1000 (Lambda waits about a minute, then two). */
  retryDelayMs?: number;
  /** Wait between the event and its first invocation (EventBridge's delivery latency). Default 0. */
  deliveryDelayMs?: number;
  /** The Lambda context's region. Default us-east-1. */
  region?: string;
}

/** Start delivering: see the module comment. */
export function createContactEventDelivery(options: ContactEventDeliveryOptions): ContactEventDelivery {
  const { target, handler, log } = options;
  const maxRetries = options.maxRetries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const deliveryDelayMs = options.deliveryDelayMs ?? 0;
  // The framework's default timeout when serverless.yml sets none.
  const timeoutMs = (target.timeoutSeconds ?? 6) * 1_000;
  const inFlight = new Set<Promise<void>>();
  const waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const counts = { offered: 0, matched: 0, handled: 0, failedInvocations: 0, dropped: 0 };
  let closed = false;

  /** Resolves after `ms`, or at once when the delivery closes; true when it was not cut short. */
  const wait = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) {
        setImmediate(() => resolve(!closed));
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          waits.delete(entry);
          resolve(!closed);
        }, ms),
        resolve: () => resolve(false),
      };
      waits.add(entry);
    });

  const invokeOnce = async (event: ConnectContactEvent): Promise<void> => {
    const requestId = randomUUID();
    const context = createLambdaContext(target.functionName, requestId, timeoutMs, options.region);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        // Each invocation gets its own copy, as each Lambda invocation gets its own deserialised event.
        Promise.resolve().then(() => handler(structuredClone(event), context)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Task timed out after ${timeoutMs / 1_000} seconds`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      counts.failedInvocations += 1;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const deliver = async (event: ConnectContactEvent): Promise<void> => {
    if (!(await wait(deliveryDelayMs))) return;
    for (let attempt = 1; attempt <= maxRetries + 1; attempt += 1) {
      try {
        await invokeOnce(event);
        counts.handled += 1;
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt > maxRetries) {
          counts.dropped += 1;
          log(
            `${target.functionName} failed ${attempt} times on ${event.detail.eventType} of contact ${event.detail.contactId} (event ${event.id}): ${message}; ` +
              'the event is dropped (deployed: the on-failure destination)',
          );
          return;
        }
        if (!(await wait(retryDelayMs * 2 ** (attempt - 1)))) return;
      }
    }
  };

  return {
    notify(event) {
      counts.offered += 1;
      if (closed || !target.patterns.some((pattern) => matchesEventPattern(pattern, event))) return false;
      counts.matched += 1;
      const copy = structuredClone(event);
      const delivery = deliver(copy).catch((error: unknown) => log(`${target.functionName} delivery failed: ${String(error)}`));
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
      return true;
    },
    idle,
    stats: () => ({ ...counts }),
    async close() {
      closed = true;
      for (const entry of waits) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      waits.clear();
      await idle();
    },
  };

  async function idle(): Promise<void> {
    // Deliveries may be queued while waiting, so wait until none is left.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }
}

function matchesValues(expected: readonly PatternValue[], value: unknown, present: boolean): boolean {
  const candidates = Array.isArray(value) ? value : [value];
  return expected.some((allowed) => {
    if (isObject(allowed)) return matchesFilter(allowed, value, present);
    if (!present) return false;
    return candidates.some((candidate) => candidate === allowed);
  });
}

function matchesFilter(filter: Record<string, unknown>, value: unknown, present: boolean): boolean {
  const [name, operand] = Object.entries(filter)[0] ?? [];
  const candidates = Array.isArray(value) ? value : [value];
  switch (name) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return present && candidates.some((candidate) => typeof candidate === 'string' && typeof operand === 'string' && candidate.startsWith(operand));
    case 'suffix':
      return present && candidates.some((candidate) => typeof candidate === 'string' && typeof operand === 'string' && candidate.endsWith(operand));
    case 'equals-ignore-case':
      return (
        present &&
        candidates.some((candidate) => typeof candidate === 'string' && typeof operand === 'string' && candidate.toLowerCase() === operand.toLowerCase())
      );
    case 'anything-but': {
      if (!present) return false;
      if (isObject(operand)) return !matchesFilter(operand, value, present);
      const excluded = Array.isArray(operand) ? operand : [operand];
      return candidates.every((candidate) => !excluded.includes(candidate));
    }
    default:
      return false;
  }
}

/** Resolve `${...}` variables and CloudFormation Sub in a pattern; reject what cannot be matched locally. */
function resolvePattern(pattern: Record<string, unknown>, variables: PatternVariables, where: string): EventPattern {
  const resolved: EventPattern = {};
  for (const [field, value] of Object.entries(pattern)) {
    const here = `${where}.${field}`;
    if (Array.isArray(value)) {
      resolved[field] = value.map((entry, index) => resolveValue(entry, variables, `${here}[${index}]`));
    } else if (isObject(value) && !isIntrinsic(value)) {
      resolved[field] = resolvePattern(value, variables, here);
    } else {
      throw new UnsupportedEventRuleError(`${here}: a pattern field needs a list of values`);
    }
  }
  return resolved;
}

function resolveValue(value: unknown, variables: PatternVariables, where: string): PatternValue {
  if (typeof value === 'string') return substitute(value, variables, where);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (isObject(value)) {
    const sub = value['!Sub'] ?? value['Fn::Sub'];
    if (typeof sub === 'string') return substitute(sub, variables, where);
    const [name] = Object.keys(value);
    if (isIntrinsic(value)) throw new UnsupportedEventRuleError(`${where}: ${name} cannot be resolved locally; use !Sub with known variables`);
    if (!name || !SUPPORTED_FILTERS.has(name) || Object.keys(value).length !== 1) {
      throw new UnsupportedEventRuleError(`${where}: the content filter ${JSON.stringify(value)} is not supported locally`);
    }
    const operand = value[name];
    const resolvedOperand = typeof operand === 'string' ? substitute(operand, variables, where) : operand;
    return { [name]: resolvedOperand };
  }
  throw new UnsupportedEventRuleError(`${where}: ${JSON.stringify(value)} is not a pattern value`);
}

/** `${AWS::Region}`, `${param:connectInstanceId}`... from `variables`; an unknown one is an error naming it. */
function substitute(text: string, variables: PatternVariables, where: string): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = variables[name.trim()];
    if (value === undefined) throw new UnsupportedEventRuleError(`${where}: \${${name}} has no local value`);
    return value;
  });
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0]!.startsWith('!') || keys[0]!.startsWith('Fn::') || keys[0] === 'Ref');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
