import { randomUUID } from 'node:crypto';
import { jsonObjectBody, RestJsonEmulator, type EmulatorResponse, type RouteRequest } from './rest-json-emulator';

/**
 * Local stand-in for Amazon Connect's StartOutboundVoiceContact (dev and test only):
 * `PUT /contact/outbound-voice` with a JSON body, answering `{"ContactId": "..."}`.
 * Like the real service it is idempotent on ClientToken: the same token returns the same
 * ContactId and no second call is placed. Nobody is actually phoned; calls are recorded so
 * the local stack can show them (GET /_local/calls) and record the operator's decision.
 */

/** The exceptions StartOutboundVoiceContact declares (plus ThrottlingException, common to Connect), and their statuses. */
export const CONNECT_ERROR_STATUS = {
  DestinationNotAllowedException: 403,
  InternalServiceException: 500,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  LimitExceededException: 429,
  OutboundContactNotPermittedException: 403,
  ResourceNotFoundException: 404,
  ThrottlingException: 429,
  AccessDeniedException: 403,
} as const;
export type ConnectErrorType = keyof typeof CONNECT_ERROR_STATUS;

/** Where an emulated call is; the local stack moves it along as the operator answers. */
export type EmulatedCallStatus = 'initiated' | 'answered' | 'completed' | 'no-answer' | 'failed';

/** One placed outbound call. */
export interface EmulatedCall {
  contactId: string;
  clientToken: string;
  instanceId: string;
  contactFlowId: string;
  sourcePhoneNumber?: string;
  destinationPhoneNumber: string;
  attributes: Record<string, string>;
  startedAt: string;
  status: EmulatedCallStatus;
  /** Whatever the local stack records as the operator's answer (e.g. an OperatorDecision). */
  decision?: unknown;
  updatedAt: string;
}

export interface ConnectEmulatorOptions {
  /** When set, other instance ids get ResourceNotFoundException. */
  instanceId?: string;
  /** When set, other contact flow ids get ResourceNotFoundException. */
  contactFlowId?: string;
  /** E.164 prefixes that may be dialled (e.g. ['+1', '+49']); others get DestinationNotAllowedException. Default: any. */
  allowedDestinationPrefixes?: string[];
  host?: string;
  port?: number;
}

const E164 = /^\+[1-9]\d{7,14}$/;
const MAX_CLIENT_TOKEN_LENGTH = 500;
const MAX_ATTRIBUTE_VALUE_LENGTH = 32_767;

/** Emulates StartOutboundVoiceContact of Amazon Connect. */
export class ConnectEmulator extends RestJsonEmulator {
  private readonly options: ConnectEmulatorOptions;
  private readonly placed: EmulatedCall[] = [];
  private readonly byToken = new Map<string, EmulatedCall>();

  constructor(options: ConnectEmulatorOptions = {}) {
    super('com.amazonaws.connect', { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    this.options = options;
  }

  /** Answer the next `count` requests with `errorType` (before any validation or idempotency check, like a service that failed that attempt). */
  failNext(count: number, errorType: ConnectErrorType, options: { message?: string; retryAfterSeconds?: number } = {}): void {
    this.enqueueFault(count, {
      kind: 'error',
      error: {
        errorType,
        status: CONNECT_ERROR_STATUS[errorType],
        message: options.message ?? `${errorType} (emulated)`,
        ...(options.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(options.retryAfterSeconds) } } : {}),
      },
    });
  }

  /** Placed calls, newest first (copies). */
  calls(): EmulatedCall[] {
    return [...this.placed].reverse().map((call) => ({ ...call, attributes: { ...call.attributes } }));
  }

  /** One call by contact id (a copy), or undefined. */
  call(contactId: string): EmulatedCall | undefined {
    const found = this.placed.find((call) => call.contactId === contactId);
    return found ? { ...found, attributes: { ...found.attributes } } : undefined;
  }

  /** Change a call's status and/or record the operator's decision; returns the updated call, or undefined for an unknown id. */
  updateCall(contactId: string, change: { status?: EmulatedCallStatus; decision?: unknown }): EmulatedCall | undefined {
    const found = this.placed.find((call) => call.contactId === contactId);
    if (!found) return undefined;
    if (change.status !== undefined) found.status = change.status;
    if ('decision' in change) found.decision = change.decision;
    found.updatedAt = new Date().toISOString();
    return this.call(contactId);
  }

  protected async route(request: RouteRequest): Promise<EmulatorResponse> {
    if (request.method !== 'PUT' || request.path !== '/contact/outbound-voice') {
      return error('UnknownOperationException', 404, `No operation at ${request.method} ${request.path}`);
    }
    const input = jsonObjectBody(request);
    if (!input) return error('InvalidRequestException', 400, 'The request body is not a JSON object');

    for (const field of ['DestinationPhoneNumber', 'ContactFlowId', 'InstanceId'] as const) {
      if (typeof input[field] !== 'string' || (input[field] as string).length === 0) {
        return error('InvalidParameterException', 400, `${field} is required`);
      }
    }
    const destination = input.DestinationPhoneNumber as string;
    const instanceId = input.InstanceId as string;
    const contactFlowId = input.ContactFlowId as string;
    const source = typeof input.SourcePhoneNumber === 'string' ? input.SourcePhoneNumber : undefined;
    if (!source && typeof input.QueueId !== 'string') {
      return error('InvalidParameterException', 400, 'Either SourcePhoneNumber or QueueId is required');
    }
    if (!E164.test(destination) || (source !== undefined && !E164.test(source))) {
      return error('InvalidParameterException', 400, 'Phone numbers must be in E.164 format');
    }
    const clientToken = typeof input.ClientToken === 'string' ? input.ClientToken : randomUUID();
    if (clientToken.length === 0 || clientToken.length > MAX_CLIENT_TOKEN_LENGTH) {
      return error('InvalidParameterException', 400, `ClientToken must be 1 to ${MAX_CLIENT_TOKEN_LENGTH} characters`);
    }
    const attributes = input.Attributes ?? {};
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
      return error('InvalidParameterException', 400, 'Attributes must be a map of strings');
    }
    for (const value of Object.values(attributes)) {
      if (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
        return error('InvalidParameterException', 400, 'Attributes must be a map of strings');
      }
    }
    if (this.options.instanceId && instanceId !== this.options.instanceId) {
      return error('ResourceNotFoundException', 404, 'Instance not found');
    }
    if (this.options.contactFlowId && contactFlowId !== this.options.contactFlowId) {
      return error('ResourceNotFoundException', 404, 'Contact flow not found');
    }
    const prefixes = this.options.allowedDestinationPrefixes;
    if (prefixes && !prefixes.some((prefix) => destination.startsWith(prefix))) {
      return error('DestinationNotAllowedException', 403, `Outbound calls to ${destination} are not allowed`);
    }

    const existing = this.byToken.get(clientToken);
    if (existing) return { kind: 'json', status: 200, body: { ContactId: existing.contactId } };

    const now = new Date().toISOString();
    const call: EmulatedCall = {
      contactId: randomUUID(),
      clientToken,
      instanceId,
      contactFlowId,
      ...(source ? { sourcePhoneNumber: source } : {}),
      destinationPhoneNumber: destination,
      attributes: { ...(attributes as Record<string, string>) },
      startedAt: now,
      status: 'initiated',
      updatedAt: now,
    };
    this.placed.push(call);
    this.byToken.set(clientToken, call);
    return { kind: 'json', status: 200, body: { ContactId: call.contactId } };
  }
}

function error(errorType: string, status: number, message: string): EmulatorResponse {
  return { kind: 'error', error: { errorType, status, message } };
}
