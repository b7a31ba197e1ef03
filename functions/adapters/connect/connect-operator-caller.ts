import { createHash } from 'node:crypto';
import { StartOutboundVoiceContactCommand, type ConnectClient } from '@aws-sdk/client-connect';
import { hasAllowedPrefix } from '../../core/phone-number';
import type { OperatorCaller, OutboundCall } from '../../core/ports/operator-caller';
import { OperatorCallError } from '../../core/errors';

export interface ConnectOperatorCallerOptions {
  client: ConnectClient;
  instanceId: string;
  contactFlowId: string;
  /** E.164, validated by functions/config/connect.ts at cold start. */
  sourcePhoneNumber: string;
  /**
   * OPERATOR_COUNTRY_PREFIXES. Every destination comes from the station registry (checked at import) or from
   * OPERATOR_PHONE_NUMBER (checked at cold start), and is checked again here before every call: should anything ever
   * hand this adapter another number, the call is refused rather than placed. Unset: E.164 check only.
   */
  allowedCountryPrefixes?: readonly string[];
  /**
   * At most this many StartOutboundVoiceContact requests a second from this container (CONNECT_CALLS_PER_SECOND).
   * Connect allows about 2 a second per instance; place-call runs at most 2 containers, each taking its share, so a
   * burst of calls is spaced out here instead of being throttled and sent back to the queue for seconds. Unset: no limit.
   */
  callsPerSecond?: number;
  /** Waits `ms`; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** Why a call could not be started: the Connect exception name, or `NetworkError` / `UnknownError`. */
export type OperatorCallFailureReason =
  | 'LimitExceededException'
  | 'ThrottlingException'
  | 'DestinationNotAllowedException'
  | 'OutboundContactNotPermittedException'
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'AccessDeniedException'
  | 'InternalServiceException'
  | 'NetworkError'
  | 'NumberNotAllowedByConfiguration'
  | 'UnknownError';

const RETRYABLE: ReadonlySet<OperatorCallFailureReason> = new Set([
  'LimitExceededException',
  'ThrottlingException',
  'InternalServiceException',
  'NetworkError',
]);

/** Fixed, number-free descriptions: Connect's own messages can echo phone numbers, so they are never recorded. */
const DESCRIPTIONS: Record<OperatorCallFailureReason, string> = {
  LimitExceededException: 'Amazon Connect is at its limit of concurrent or queued calls',
  ThrottlingException: 'Amazon Connect throttled the request',
  DestinationNotAllowedException: 'the operator number is not an allowed destination for this Connect instance',
  OutboundContactNotPermittedException: 'outbound calls are not permitted for this Connect instance',
  ResourceNotFoundException: 'the configured Connect instance or contact flow was not found',
  InvalidParameterException: 'Amazon Connect rejected a parameter of the call',
  InvalidRequestException: 'Amazon Connect rejected the request',
  AccessDeniedException: 'the function is not allowed to start outbound calls',
  InternalServiceException: 'Amazon Connect had an internal error',
  NetworkError: 'Amazon Connect could not be reached',
  NumberNotAllowedByConfiguration: 'the operator or source number is outside OPERATOR_COUNTRY_PREFIXES, so no call was attempted',
  UnknownError: 'the call could not be started for an unexpected reason',
};

/**
 * The operator call could not be started. `reason` and `retryable` feed the retry policy;
 * `message` is safe to store in the inspection record and return to clients (no phone numbers,
 * no ARNs); the original SDK error is kept as the non-enumerable `cause` for logs.
 */
export class OperatorCallFailedError extends OperatorCallError {
  override readonly name = 'OperatorCallFailedError';
  /** Same as `reason`, for code that switches on `error.code`. */
  readonly code: OperatorCallFailureReason;

  constructor(
    readonly reason: OperatorCallFailureReason,
    readonly retryable: boolean,
    cause?: unknown,
    /** The request may have started a call whose answer was lost (see RetryableCallFailure.mayHaveStarted). */
    readonly mayHaveStarted = false,
  ) {
    super(`Operator call not placed: ${DESCRIPTIONS[reason]} (${reason}).`);
    this.code = reason;
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }
}

/** Every E.164 country code starts with one of these: with no allow-list given, only the E.164 form is enforced. */
const ANY_COUNTRY: readonly string[] = ['+1', '+2', '+3', '+4', '+5', '+6', '+7', '+8', '+9'];

/** StartOutboundVoiceContact accepts client tokens of at most 500 characters. */
export const MAX_CLIENT_TOKEN_LENGTH = 500;

/**
 * The idempotency token for one call of an inspection's ladder (`step`, contact `index` in its level): the same call
 * always yields the same token, so a request retried while the first call lasts returns its contact instead of ringing
 * again. It does not make every retry safe: Connect starts a new contact for a reused token once the first has
 * disconnected. So the ladder marks each call as dialing before asking (EscalationStore.recordCallDialing) and never
 * asks again for a call whose answer was lost (place-operator-call.ts, `unconfirmed`); the token only covers the SDK's
 * own retries of one request, which happen within seconds, while the first contact still lasts. The first
 * call of a ladder keeps the token calls had before ladders existed. Long ids are hashed to respect the length limit.
 */
export function clientTokenFor(inspectionId: string, step = 0, index = 0): string {
  const suffix = step === 0 && index === 0 ? '' : `-s${step}-c${index}`;
  const readable = `waferwatch-inspection-${inspectionId}${suffix}`;
  if (readable.length <= MAX_CLIENT_TOKEN_LENGTH && /^[\x21-\x7E]+$/.test(inspectionId)) return readable;
  return `waferwatch-inspection-sha256-${createHash('sha256').update(inspectionId).digest('hex')}${suffix}`;
}

/** OperatorCaller that places an Amazon Connect outbound voice call through a contact flow. */
export class ConnectOperatorCaller implements OperatorCaller {
  private readonly options: ConnectOperatorCallerOptions;
  /** When the next request may be sent (ms since the epoch). */
  private nextSlotMs = 0;

  constructor(options: ConnectOperatorCallerOptions) {
    this.options = options;
  }

  /**
   * Wait for this container's next request slot. Written here rather than taken from a rate-limiter library: one
   * evenly spaced slot per request is all that is needed, and it keeps the place-call bundle free of a dependency.
   */
  private async takeSlot(): Promise<void> {
    const rate = this.options.callsPerSecond;
    if (!rate || rate <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlotMs);
    this.nextSlotMs = slot + 1000 / rate;
    if (slot > now) await (this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms))))(slot - now);
  }

  /** Start one call of a ladder; resolves with Connect's contact id, rejects with OperatorCallFailedError. */
  async startCall(call: OutboundCall): Promise<{ contactId: string }> {
    const { client, instanceId, contactFlowId, sourcePhoneNumber, allowedCountryPrefixes } = this.options;
    const destinationPhoneNumber = call.destinationPhoneNumber;
    for (const number of [destinationPhoneNumber, sourcePhoneNumber]) {
      if (!hasAllowedPrefix(number, allowedCountryPrefixes ?? ANY_COUNTRY)) throw new OperatorCallFailedError('NumberNotAllowedByConfiguration', false);
    }
    let contactId: string | undefined;
    await this.takeSlot();
    try {
      const response = await client.send(
        new StartOutboundVoiceContactCommand({
          InstanceId: instanceId,
          ContactFlowId: contactFlowId,
          SourcePhoneNumber: sourcePhoneNumber,
          DestinationPhoneNumber: destinationPhoneNumber,
          ClientToken: clientTokenFor(call.inspectionId, call.step, call.index),
          // Contact attributes are strings. The flow speaks the station's registry name, the whole percent and the
          // folded count; the rest names the call for record-decision, contact events and people reading the contact.
          Attributes: {
            inspectionId: call.inspectionId,
            stationId: call.stationId,
            stationName: call.stationName,
            confidencePercent: String(wholePercent(call.confidencePercent)),
            foldedAnomalies: String(foldedAnomalies(call.foldedCount)),
            callKind: call.callKind,
            contactName: call.contactName,
            escalationLevel: String(call.level),
            escalationLoop: String(call.loop),
          },
        }),
      );
      contactId = response.ContactId;
    } catch (error) {
      throw toOperatorCallFailed(error);
    }
    if (!contactId) throw new OperatorCallFailedError('UnknownError', false);
    return { contactId };
  }
}

function wholePercent(value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(0, Math.round(value))) : 0;
}

/** The most anomalies the call will name; a larger count is still "many", and keeps the spoken number short. */
export const MAX_SPOKEN_FOLDED_ANOMALIES = 9999;

/**
 * The folded count as the flow compares it: a whole number from 0 to MAX_SPOKEN_FOLDED_ANOMALIES. Absent, negative
 * or non-finite counts become 0 so the flow takes its no-extra-sentence path instead of speaking nonsense.
 */
function foldedAnomalies(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 0;
  return Math.min(MAX_SPOKEN_FOLDED_ANOMALIES, Math.max(0, Math.floor(value)));
}

/**
 * Network failures that happen before a request leaves this container: Connect never saw it, so nothing started.
 * Any other network failure (a reset or time-out after sending) may have lost the answer of a call that did start.
 */
const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Map an SDK failure to OperatorCallFailedError (exported for the retry policy's tests). Whether the call may have
 * started: Connect's own refusals and throttling (client faults) start nothing; its server errors, unknown errors and
 * network failures after sending may have.
 */
export function toOperatorCallFailed(error: unknown): OperatorCallFailedError {
  const isServiceError = typeof error === 'object' && error !== null && '$fault' in error;
  if (!isServiceError) {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return new OperatorCallFailedError('NetworkError', true, error, !(typeof code === 'string' && NOT_SENT_NETWORK_CODES.has(code)));
  }
  const name = (error as { name?: string }).name ?? '';
  const reason: OperatorCallFailureReason = Object.hasOwn(DESCRIPTIONS, name) ? (name as OperatorCallFailureReason) : 'UnknownError';
  const serverFault = (error as { $fault?: string }).$fault === 'server';
  const refusedOrThrottled = reason === 'ThrottlingException' || reason === 'LimitExceededException' || !serverFault;
  return new OperatorCallFailedError(reason, RETRYABLE.has(reason) || (reason === 'UnknownError' && serverFault), error, !refusedOrThrottled);
}
