import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { jsonObjectBody, RestJsonEmulator, type EmulatorResponse, type RouteRequest } from './rest-json-emulator';

/**
 * Local stand-in for Amazon Connect's StartOutboundVoiceContact (dev and test only):
 * `PUT /contact/outbound-voice` with a JSON body, answering `{"ContactId": "..."}`.
 * Like the real service it is idempotent on ClientToken: the same token returns the same
 * ContactId and no second call is placed. Nobody is actually phoned; calls are recorded so
 * the local stack can show them (GET /_local/calls) and record the operator's decision.
 *
 * Each call has a lifecycle, moved on by the local phone (or a test): it rings (`initiated`), is answered or ends
 * unanswered after the ring timeout, declined or failed, and an answered call ends when the operator or the flow hangs
 * up. Every step is an Amazon Connect contact event in the shape EventBridge delivers (`onContactEvent`): INITIATED,
 * CONNECTED_TO_SYSTEM, DISCONNECTED. GetContactAttributes (`GET /contact/attributes/{InstanceId}/{InitialContactId}`)
 * answers a call's attributes.
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

/**
 * Where an emulated call is. `initiated`: ringing. `answered`: a person (or a voicemail) picked up and the flow runs.
 * `completed`: it was answered and has ended (the operator or the flow hung up). Never answered: `no-answer` (rang
 * for the ring timeout), `declined` (refused while ringing) or `failed` (the network could not connect it).
 */
export type EmulatedCallStatus = 'initiated' | 'answered' | 'completed' | 'no-answer' | 'declined' | 'failed';

/** How a call ends; each is one DISCONNECTED event with the disconnect reason in CALL_ENDINGS. */
export type CallEnding = 'no-answer' | 'declined' | 'hung-up' | 'flow-ended' | 'failed';

/** Who picked up an answered call. Connect only tells them apart when the call asked for answering machine detection. */
export type CallAnswerer = 'person' | 'voicemail';

/**
 * The status and `disconnectReason` each ending gives, as Amazon Connect's contact records and events name them
 * (ContactTraceRecord DisconnectReason, voice). A refused mobile call reaches Connect as a busy signal, and a call
 * nobody picks up as a telephony timeout; `hung-up` on a ringing call is a refusal too.
 */
export const CALL_ENDINGS = {
  'no-answer': { status: 'no-answer', disconnectReason: 'TELECOM_TIMEOUT' },
  declined: { status: 'declined', disconnectReason: 'TELECOM_BUSY' },
  'hung-up': { status: 'completed', disconnectReason: 'CUSTOMER_DISCONNECT' },
  'flow-ended': { status: 'completed', disconnectReason: 'CONTACT_FLOW_DISCONNECT' },
  failed: { status: 'failed', disconnectReason: 'TELECOM_PROBLEM' },
} as const satisfies Record<CallEnding, { status: EmulatedCallStatus; disconnectReason: string }>;

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
  /** Whatever the local stack records as the operator's answer (e.g. record-decision's answer). */
  decision?: unknown;
  updatedAt: string;
  /** Set when it was answered (CONNECTED_TO_SYSTEM). */
  answeredAt?: string;
  /** Set when it ended (DISCONNECTED), with Connect's reason. */
  endedAt?: string;
  disconnectReason?: string;
  /** The request's AnswerMachineDetectionConfig.EnableAnswerMachineDetection. */
  answeringMachineDetection?: boolean;
  /** What answering machine detection concluded, when it ran. */
  answeringMachineDetectionStatus?: string;
}

/** The contact event types the emulator emits (Amazon Connect emits more; these are the ones an outbound call without agents has). */
export type ContactEventType = 'INITIATED' | 'CONNECTED_TO_SYSTEM' | 'DISCONNECTED';

/** `detail` of an Amazon Connect contact event, as far as an outbound API call fills it. */
export interface ContactEventDetail {
  eventType: ContactEventType;
  contactId: string;
  initialContactId: string;
  channel: 'VOICE';
  instanceArn: string;
  initiationMethod: 'API';
  initiationTimestamp: string;
  /** Only once the call was answered. */
  connectedToSystemTimestamp?: string;
  /** Only on DISCONNECTED. */
  disconnectTimestamp?: string;
  disconnectReason?: string;
  /** Only when the call asked for answering machine detection and it concluded. */
  answeringMachineDetectionStatus?: string;
}

/** An Amazon Connect contact event exactly as EventBridge delivers it to a Lambda target. */
export type ConnectContactEvent = EventBridgeEvent<'Amazon Connect Contact Event', ContactEventDetail>;

/** Told of every contact event, in the order the calls went through their lifecycle. */
export type ContactEventListener = (event: ConnectContactEvent) => void;

/** A lifecycle step that does not fit the call's state (answering a call that ended, declining an answered one...). */
export class CallStateError extends Error {
  override name = 'CallStateError';
  constructor(
    readonly contactId: string,
    readonly status: EmulatedCallStatus,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectEmulatorOptions {
  /** When set, other instance ids get ResourceNotFoundException. */
  instanceId?: string;
  /** When set, other contact flow ids get ResourceNotFoundException. */
  contactFlowId?: string;
  /** E.164 prefixes that may be dialled (e.g. ['+1', '+49']); others get DestinationNotAllowedException. Default: any. */
  allowedDestinationPrefixes?: string[];
  /** A call nobody answers ends as `no-answer` after this long. Default 30 000 (30 s); 0 rings until told otherwise. */
  ringTimeoutMs?: number;
  /** Region and account of the instance and contact ARNs in the events. Default us-east-1 and 000000000000. */
  region?: string;
  accountId?: string;
  host?: string;
  port?: number;
}

/**
 * StartOutboundVoiceContact's documented constraints (Amazon Connect API reference, and the service model botocore and
 * the AWS SDKs are generated from): PhoneNumber pattern `\+[1-9]\d{1,14}$`, InstanceId 1–100 characters, ContactFlowId
 * at most 500, ClientToken at most 500, an attribute name 1–32,767 characters and a value at most 32,767, "up to 32,768
 * UTF-8 bytes across all key-value pairs per contact" and "Attribute keys can include only alphanumeric, dash, and
 * underscore characters", RingTimeoutInSeconds 15–60, TrafficType GENERAL or CAMPAIGN.
 */
const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_INSTANCE_ID_LENGTH = 100;
const MAX_CONTACT_FLOW_ID_LENGTH = 500;
const MAX_CLIENT_TOKEN_LENGTH = 500;
const MAX_ATTRIBUTE_NAME_LENGTH = 32_767;
const MAX_ATTRIBUTE_VALUE_LENGTH = 32_767;
const MAX_ATTRIBUTES_BYTES = 32_768;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-]+$/;
const RING_TIMEOUT_SECONDS_RANGE = [15, 60] as const;
const TRAFFIC_TYPES: ReadonlySet<unknown> = new Set(['GENERAL', 'CAMPAIGN']);
const DEFAULT_RING_TIMEOUT_MS = 30_000;
const ENDED: ReadonlySet<EmulatedCallStatus> = new Set(['completed', 'no-answer', 'declined', 'failed']);

/** Emulates StartOutboundVoiceContact and GetContactAttributes of Amazon Connect, and the calls' contact events. */
export class ConnectEmulator extends RestJsonEmulator {
  private readonly options: ConnectEmulatorOptions;
  private readonly placed: EmulatedCall[] = [];
  private readonly byToken = new Map<string, EmulatedCall>();
  private readonly ringTimers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<ContactEventListener>();
  private readonly emitted: ConnectContactEvent[] = [];
  private held: ConnectContactEvent[] | undefined;

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
    return [...this.placed].reverse().map(copyCall);
  }

  /** One call by contact id (a copy), or undefined. */
  call(contactId: string): EmulatedCall | undefined {
    const found = this.find(contactId);
    return found ? copyCall(found) : undefined;
  }

  /**
   * A person (or a voicemail) picks up a ringing call: `answered`, and CONNECTED_TO_SYSTEM. Throws CallStateError
   * unless the call is ringing; undefined for an unknown id.
   */
  answerCall(contactId: string, options: { by?: CallAnswerer } = {}): EmulatedCall | undefined {
    const call = this.find(contactId);
    if (!call) return undefined;
    if (call.status !== 'initiated')
      throw new CallStateError(contactId, call.status, `Call ${contactId} is ${call.status}, not ringing; it cannot be answered.`);
    this.answer(call, options.by ?? 'person');
    return copyCall(call);
  }

  /**
   * End a call: DISCONNECTED with the reason of CALL_ENDINGS. `no-answer`, `declined` and `failed` need a ringing
   * call; `flow-ended` an answered one; `hung-up` either (a ringing call hung up is declined). `decision` is kept on
   * the call (the local stack stores record-decision's answer). Throws CallStateError when the call cannot end that
   * way (it already ended, or it is in the wrong state); undefined for an unknown id.
   */
  endCall(contactId: string, ending: CallEnding, options: { decision?: unknown } = {}): EmulatedCall | undefined {
    const call = this.find(contactId);
    if (!call) return undefined;
    if (ENDED.has(call.status)) throw new CallStateError(contactId, call.status, `Call ${contactId} has already ended (${call.status}).`);
    const effective: CallEnding = ending === 'hung-up' && call.status === 'initiated' ? 'declined' : ending;
    const needsRinging = effective === 'no-answer' || effective === 'declined' || effective === 'failed';
    if (needsRinging && call.status !== 'initiated')
      throw new CallStateError(contactId, call.status, `Call ${contactId} was answered; it can only be hung up now.`);
    if (effective === 'flow-ended' && call.status !== 'answered')
      throw new CallStateError(contactId, call.status, `Call ${contactId} was never answered, so no flow ran on it.`);
    if ('decision' in options) call.decision = options.decision;
    this.disconnect(call, effective);
    return copyCall(call);
  }

  /**
   * Change a call's status and/or record the operator's decision, for callers that only know the outcome; returns the
   * updated call, or undefined for an unknown id. Moving a live call on emits the events its lifecycle would
   * (`completed` from ringing passes through CONNECTED_TO_SYSTEM and ends as the flow hanging up); a call that already
   * ended only has its fields changed.
   */
  updateCall(contactId: string, change: { status?: EmulatedCallStatus; decision?: unknown }): EmulatedCall | undefined {
    const call = this.find(contactId);
    if (!call) return undefined;
    if ('decision' in change) call.decision = change.decision;
    const target = change.status;
    if (target !== undefined && target !== call.status) {
      if (ENDED.has(call.status) || target === 'initiated') {
        call.status = target;
      } else if (target === 'answered') {
        this.answer(call, 'person');
      } else {
        if (target === 'completed' && call.status === 'initiated') this.answer(call, 'person');
        const ending: CallEnding = target === 'completed' ? 'flow-ended' : target;
        this.disconnect(call, ending);
      }
    }
    call.updatedAt = new Date().toISOString();
    return copyCall(call);
  }

  /** Be told of every contact event from now on; returns a function that stops it. A listener that throws is ignored. */
  onContactEvent(listener: ContactEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every contact event emitted so far, oldest first (copies), optionally of one call: for tests that redeliver them. */
  contactEvents(contactId?: string): ConnectContactEvent[] {
    return this.emitted.filter((event) => contactId === undefined || event.detail.contactId === contactId).map((event) => structuredClone(event));
  }

  /**
   * Send an event to the listeners again, unchanged (same id): EventBridge delivers at least once, so a consumer must
   * take the same event twice. Any event may be given, e.g. an older one to arrive after a newer one.
   */
  redeliverContactEvent(event: ConnectContactEvent): void {
    this.publish(structuredClone(event));
  }

  /**
   * Hold contact events back until releaseContactEvents(): to make them arrive late, all at once, or out of order.
   * They are still listed by contactEvents() as they happen.
   */
  holdContactEvents(): void {
    this.held ??= [];
  }

  /** Send the held events, in the order they happened or reversed (the newest first), and stop holding. */
  releaseContactEvents(options: { order?: 'as-emitted' | 'reversed' } = {}): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of options.order === 'reversed' ? [...held].reverse() : held) this.publish(event);
  }

  /** The instance ARN contact events carry for an instance id (this emulator's region and account). */
  instanceArn(instanceId: string): string {
    return `arn:aws:connect:${this.options.region ?? 'us-east-1'}:${this.options.accountId ?? '000000000000'}:instance/${instanceId}`;
  }

  /** Stop ringing every call (no more no-answer endings) and stop listening. */
  override async close(): Promise<void> {
    for (const timer of this.ringTimers.values()) clearTimeout(timer);
    this.ringTimers.clear();
    await super.close();
  }

  private find(contactId: string): EmulatedCall | undefined {
    return this.placed.find((call) => call.contactId === contactId);
  }

  private answer(call: EmulatedCall, by: CallAnswerer): void {
    this.stopRinging(call);
    const now = new Date().toISOString();
    call.status = 'answered';
    call.answeredAt = now;
    call.updatedAt = now;
    if (call.answeringMachineDetection) call.answeringMachineDetectionStatus = by === 'voicemail' ? 'VOICEMAIL_BEEP' : 'HUMAN_ANSWERED';
    this.emit(call, 'CONNECTED_TO_SYSTEM');
  }

  private disconnect(call: EmulatedCall, ending: CallEnding): void {
    this.stopRinging(call);
    const now = new Date().toISOString();
    const { status, disconnectReason } = CALL_ENDINGS[ending];
    call.status = status;
    call.endedAt = now;
    call.disconnectReason = disconnectReason;
    call.updatedAt = now;
    if (call.answeringMachineDetection && !call.answeredAt) call.answeringMachineDetectionStatus = 'AMD_UNANSWERED';
    this.emit(call, 'DISCONNECTED');
  }

  private startRinging(call: EmulatedCall): void {
    const ringTimeoutMs = this.options.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
    if (!(ringTimeoutMs > 0) || !Number.isFinite(ringTimeoutMs)) return;
    const timer = setTimeout(() => {
      this.ringTimers.delete(call.contactId);
      if (call.status === 'initiated') this.disconnect(call, 'no-answer');
    }, ringTimeoutMs);
    // A ringing call must not keep a test run or a stopping stack alive.
    timer.unref();
    this.ringTimers.set(call.contactId, timer);
  }

  private stopRinging(call: EmulatedCall): void {
    clearTimeout(this.ringTimers.get(call.contactId));
    this.ringTimers.delete(call.contactId);
  }

  private emit(call: EmulatedCall, eventType: ContactEventType): void {
    const instanceArn = this.instanceArn(call.instanceId);
    const now = new Date();
    const detail: ContactEventDetail = {
      eventType,
      contactId: call.contactId,
      initialContactId: call.contactId,
      channel: 'VOICE',
      instanceArn,
      initiationMethod: 'API',
      initiationTimestamp: call.startedAt,
      ...(call.answeredAt ? { connectedToSystemTimestamp: call.answeredAt } : {}),
      ...(eventType === 'DISCONNECTED' ? { disconnectTimestamp: call.endedAt, disconnectReason: call.disconnectReason } : {}),
      ...(eventType !== 'INITIATED' && call.answeringMachineDetectionStatus ? { answeringMachineDetectionStatus: call.answeringMachineDetectionStatus } : {}),
    };
    const event: ConnectContactEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Amazon Connect Contact Event',
      source: 'aws.connect',
      account: this.options.accountId ?? '000000000000',
      // EventBridge's envelope time has whole seconds.
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region ?? 'us-east-1',
      resources: [instanceArn, `${instanceArn}/contact/${call.contactId}`],
      detail,
    };
    this.emitted.push(event);
    if (this.held) this.held.push(event);
    else this.publish(event);
  }

  private publish(event: ConnectContactEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(structuredClone(event));
      } catch {
        // A subscriber's failure is its own; the call goes on, as Connect's does whatever EventBridge's targets do.
      }
    }
  }

  protected async route(request: RouteRequest): Promise<EmulatorResponse> {
    const [first, second, attributesInstanceId, attributesContactId, ...rest] = request.segments;
    if (request.method === 'GET' && first === 'contact' && second === 'attributes' && attributesInstanceId && attributesContactId && rest.length === 0) {
      return this.contactAttributes(attributesInstanceId, attributesContactId);
    }
    if (request.method !== 'PUT' || request.path !== '/contact/outbound-voice') {
      return error('UnknownOperationException', 404, `No operation at ${request.method} ${request.path}`);
    }
    const input = jsonObjectBody(request);
    if (!input) return error('InvalidRequestException', 400, 'The request body is not a JSON object');

    for (const field of ['DestinationPhoneNumber', 'ContactFlowId', 'InstanceId'] as const) {
      if (typeof input[field] !== 'string' || input[field].length === 0) {
        return error('InvalidParameterException', 400, `${field} is required`);
      }
    }
    const destination = input.DestinationPhoneNumber as string;
    const instanceId = input.InstanceId as string;
    const contactFlowId = input.ContactFlowId as string;
    if (instanceId.length > MAX_INSTANCE_ID_LENGTH) {
      return error('InvalidParameterException', 400, `InstanceId must be 1 to ${MAX_INSTANCE_ID_LENGTH} characters`);
    }
    if (contactFlowId.length > MAX_CONTACT_FLOW_ID_LENGTH) {
      return error('InvalidParameterException', 400, `ContactFlowId must be at most ${MAX_CONTACT_FLOW_ID_LENGTH} characters`);
    }
    const source = typeof input.SourcePhoneNumber === 'string' ? input.SourcePhoneNumber : undefined;
    if (!source && typeof input.QueueId !== 'string') {
      return error('InvalidParameterException', 400, 'Either SourcePhoneNumber or QueueId is required');
    }
    if (!E164.test(destination) || (source !== undefined && !E164.test(source))) {
      return error('InvalidParameterException', 400, 'Phone numbers must be in E.164 format');
    }
    // The SDKs fill in a token when the caller gives none (an idempotency token member); the model sets no minimum length.
    if (input.ClientToken !== undefined && typeof input.ClientToken !== 'string') {
      return error('InvalidParameterException', 400, 'ClientToken must be a string');
    }
    const clientToken = typeof input.ClientToken === 'string' ? input.ClientToken : randomUUID();
    if (clientToken.length > MAX_CLIENT_TOKEN_LENGTH) {
      return error('InvalidParameterException', 400, `ClientToken must be at most ${MAX_CLIENT_TOKEN_LENGTH} characters`);
    }
    const attributes = input.Attributes ?? {};
    const attributesProblem = checkAttributes(attributes);
    if (attributesProblem) return error('InvalidParameterException', 400, attributesProblem);
    if (input.RingTimeoutInSeconds !== undefined) {
      const seconds = input.RingTimeoutInSeconds;
      const [min, max] = RING_TIMEOUT_SECONDS_RANGE;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < min || seconds > max) {
        return error('InvalidParameterException', 400, `RingTimeoutInSeconds must be an integer from ${min} to ${max}`);
      }
    }
    if (input.TrafficType !== undefined && !TRAFFIC_TYPES.has(input.TrafficType)) {
      return error('InvalidParameterException', 400, 'TrafficType must be GENERAL or CAMPAIGN');
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

    const detection = input.AnswerMachineDetectionConfig;
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
      ...(isObject(detection) && detection.EnableAnswerMachineDetection === true ? { answeringMachineDetection: true } : {}),
    };
    this.placed.push(call);
    this.byToken.set(clientToken, call);
    this.emit(call, 'INITIATED');
    this.startRinging(call);
    return { kind: 'json', status: 200, body: { ContactId: call.contactId } };
  }

  /** GetContactAttributes: the attributes StartOutboundVoiceContact set, by instance and initial contact id. */
  private contactAttributes(instanceId: string, contactId: string): EmulatorResponse {
    const call = this.find(contactId);
    if (!call || call.instanceId !== instanceId) return error('ResourceNotFoundException', 404, 'Contact not found');
    return { kind: 'json', status: 200, body: { Attributes: { ...call.attributes } } };
  }
}

function error(errorType: string, status: number, message: string): EmulatorResponse {
  return { kind: 'error', error: { errorType, status, message } };
}

/**
 * What is wrong with StartOutboundVoiceContact's Attributes, or undefined: a map of strings whose names are 1–32,767
 * letters, digits, `-` and `_`, values at most 32,767 characters, and at most 32,768 UTF-8 bytes of names and values
 * together.
 */
export function checkAttributes(attributes: unknown): string | undefined {
  if (!isObject(attributes)) return 'Attributes must be a map of strings';
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value !== 'string') return 'Attributes must be a map of strings';
    if (name.length === 0 || name.length > MAX_ATTRIBUTE_NAME_LENGTH || !ATTRIBUTE_NAME.test(name)) {
      return `Attribute key ${JSON.stringify(name.slice(0, 64))} is not valid: attribute keys can include only alphanumeric, dash, and underscore characters`;
    }
    if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) return `Attribute ${name} is longer than ${MAX_ATTRIBUTE_VALUE_LENGTH} characters`;
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > MAX_ATTRIBUTES_BYTES)
    return `Attributes are ${bytes} UTF-8 bytes; there can be up to ${MAX_ATTRIBUTES_BYTES} across all key-value pairs per contact`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copyCall(call: EmulatedCall): EmulatedCall {
  return { ...call, attributes: { ...call.attributes } };
}
