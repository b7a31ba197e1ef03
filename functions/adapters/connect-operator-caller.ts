import { createHash } from 'node:crypto';
import { StartOutboundVoiceContactCommand, type ConnectClient } from '@aws-sdk/client-connect';
import { hasAllowedPrefix } from '../config';
import type { OperatorAlert, OperatorCaller } from '../core/ports';
import { OperatorCallError } from '../core/errors';

export interface ConnectOperatorCallerOptions {
  client: ConnectClient;
  instanceId: string;
  contactFlowId: string;
  /** E.164, validated by functions/config.ts at cold start. */
  sourcePhoneNumber: string;
  /** E.164, from configuration only: nothing in an alert can change who is called. */
  destinationPhoneNumber: string;
  /**
   * OPERATOR_COUNTRY_PREFIXES. Checked again before every call (config.ts checks at cold start): should anything
   * ever hand this adapter another number, the call is refused rather than placed. Unset: E.164 check only.
   */
  allowedCountryPrefixes?: readonly string[];
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
 * The idempotency token for an inspection's call: the same inspection id always yields the same
 * token, so Connect returns the existing contact instead of ringing again when a call is retried
 * (Connect keeps tokens for 7 days). Long ids are hashed to respect the length limit.
 */
export function clientTokenFor(inspectionId: string): string {
  const readable = `waferwatch-inspection-${inspectionId}`;
  if (readable.length <= MAX_CLIENT_TOKEN_LENGTH && /^[\x21-\x7E]+$/.test(inspectionId)) return readable;
  return `waferwatch-inspection-sha256-${createHash('sha256').update(inspectionId).digest('hex')}`;
}

/** OperatorCaller that places an Amazon Connect outbound voice call through a contact flow. */
export class ConnectOperatorCaller implements OperatorCaller {
  private readonly options: ConnectOperatorCallerOptions;

  constructor(options: ConnectOperatorCallerOptions) {
    this.options = options;
  }

  /** Start the call for one alert; resolves with Connect's contact id, rejects with OperatorCallFailedError. */
  async startCall(alert: OperatorAlert): Promise<{ contactId: string }> {
    const { client, instanceId, contactFlowId, sourcePhoneNumber, destinationPhoneNumber, allowedCountryPrefixes } = this.options;
    for (const number of [destinationPhoneNumber, sourcePhoneNumber]) {
      if (!hasAllowedPrefix(number, allowedCountryPrefixes ?? ANY_COUNTRY)) throw new OperatorCallFailedError('NumberNotAllowedByConfiguration', false);
    }
    let contactId: string | undefined;
    try {
      const response = await client.send(
        new StartOutboundVoiceContactCommand({
          InstanceId: instanceId,
          ContactFlowId: contactFlowId,
          SourcePhoneNumber: sourcePhoneNumber,
          DestinationPhoneNumber: destinationPhoneNumber,
          ClientToken: clientTokenFor(alert.inspectionId),
          // Contact attributes are strings; the flow speaks the whole percent and the folded count.
          Attributes: {
            inspectionId: alert.inspectionId,
            stationId: alert.stationId,
            confidencePercent: String(wholePercent(alert.confidencePercent)),
            foldedAnomalies: String(foldedAnomalies(alert.foldedCount)),
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

/** Map an SDK failure to OperatorCallFailedError (exported for the retry policy's tests). */
export function toOperatorCallFailed(error: unknown): OperatorCallFailedError {
  const isServiceError = typeof error === 'object' && error !== null && '$fault' in error;
  if (!isServiceError) return new OperatorCallFailedError('NetworkError', true, error);
  const name = (error as { name?: string }).name ?? '';
  const reason: OperatorCallFailureReason = Object.hasOwn(DESCRIPTIONS, name) ? (name as OperatorCallFailureReason) : 'UnknownError';
  const serverFault = (error as { $fault?: string }).$fault === 'server';
  return new OperatorCallFailedError(reason, RETRYABLE.has(reason) || (reason === 'UnknownError' && serverFault), error);
}
