import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectContactFlowEvent } from 'aws-lambda';
import { ContactFlowRuntimeError, ContactSession, type ParticipantInput } from '../contact-flow-interpreter/contact-session';
import { CallStateError } from '../emulators/connect-emulator';
import { loadContactFlow, type ContactFlow } from '../contact-flow-interpreter/flow-language';
import { sendJson } from '../json-response';

/**
 * The operator's phone, simulated for the local stack (dev only): a call the Connect emulator placed is
 * run through the shipped contact flow by the flow interpreter, and the flow's InvokeLambdaFunction calls
 * the real record-decision handler, so pressing 1 or 2 writes the decision to the inspection record
 * exactly as Amazon Connect and Lambda would. Answering, declining, hanging up and the flow hanging up move
 * the emulator's call on, so its contact events (CONNECTED_TO_SYSTEM, DISCONNECTED) flow as in AWS; a call
 * nobody answers ends by itself after the emulator's ring timeout.
 *
 * HTTP (JSON both ways, see handle()):
 *   GET  /_local/phone/{contactId}          answer the call (first time) and return the session
 *   POST /_local/phone/{contactId}/keys     body {"key": "0"-"9" | "*" | "#" | "timeout"}, returns the session
 *   POST /_local/phone/{contactId}/decline  refuse a ringing call (it ends, no key), returns the session
 *   POST /_local/phone/{contactId}/hangup   end an answered call without a key (a ringing one is declined)
 */

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_FLOW_PATH = path.join(PROJECT_ROOT, 'contact-flows/wafer-anomaly-alert.json');
/** The ARN the local flow is given for record-decision; any other ARN fails like a function Connect cannot invoke. */
export const LOCAL_RECORD_DECISION_ARN = 'arn:aws:lambda:local:000000000000:function:waferwatch-local-recordDecision';
const CONTACT_ID = /^[A-Za-z0-9-]{1,128}$/;
const KEY = /^(?:[0-9*#]|timeout)$/;
const MAX_BODY_BYTES = 1024;

/** Where a call is, as the Connect emulator says (EmulatedCallStatus). */
export type PhoneCallStatus = 'initiated' | 'answered' | 'completed' | 'no-answer' | 'declined' | 'failed';

/** A call as the Connect emulator recorded it (local/emulators/connect-emulator.ts EmulatedCall fits). */
export interface PhoneCall {
  contactId: string;
  attributes: Record<string, string>;
  status: PhoneCallStatus;
}

/** What the phone panel shows for one call. */
export interface PhoneSessionView {
  contactId: string;
  inspectionId: string | null;
  /** Everything the operator has heard so far, in order, as plain text. */
  spoken: string[];
  /** `keypress` while the flow waits for a key (or silence); `done` once the call ended. */
  awaiting: 'keypress' | 'done';
  /** Keys pressed and timeouts so far. */
  inputs: string[];
  /** record-decision's answer once the flow invoked it (status recorded | already-recorded | conflict | error). */
  decision: Record<string, string> | null;
}

/** How the phone ends a call (the emulator's CallEnding values it uses). */
export type PhoneCallEnding = 'declined' | 'hung-up' | 'flow-ended';

/**
 * The Connect emulator's calls and their lifecycle, as far as the phone needs them (ConnectEmulator fits). The
 * lifecycle methods throw CallStateError when the call is not in a state for that step.
 */
export interface PhoneCallSource {
  call(contactId: string): PhoneCall | undefined;
  answerCall(contactId: string): unknown;
  endCall(contactId: string, ending: PhoneCallEnding, options?: { decision?: unknown }): unknown;
}

export interface PhoneSimulatorOptions {
  calls: PhoneCallSource;
  /** The record-decision handler; default: the real one from functions/handlers/record-decision.ts, imported on first use. */
  recordDecision?: (event: ConnectContactFlowEvent) => Promise<unknown>;
  /** The flow file; default contact-flows/wafer-anomaly-alert.json. */
  flowPath?: string;
}

/** Thrown for requests the phone cannot serve; `status` is the HTTP status the route answers. */
export class PhoneRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PhoneRequestError';
  }
}

interface SessionEntry {
  session: ContactSession;
  queue: Promise<unknown>;
  /** Set when the operator hung up before the flow did. */
  hungUp: boolean;
}

/** Why a call that ended can no longer be answered, in words for the page. */
const ENDED_MESSAGES: Record<Exclude<PhoneCallStatus, 'initiated' | 'answered'>, string> = {
  'no-answer': 'Nobody answered within the ring time; the call has ended.',
  declined: 'The call was declined; it has ended.',
  failed: 'The call could not be connected; it has ended.',
  completed: 'The call has ended.',
};

/** Calls the local operator is on, each run through the shipped flow. */
export class PhoneSimulator {
  private readonly sessions = new Map<string, SessionEntry>();
  private flow: Promise<ContactFlow> | undefined;

  constructor(private readonly options: PhoneSimulatorOptions) {}

  /**
   * Answer a ringing call: run the flow from its start until it waits for a key. Answering a call already
   * answered returns its session unchanged (a page reload must not restart the call); a call that ended without
   * being answered is refused (409 CALL_ENDED).
   */
  async startCall(call: PhoneCall): Promise<PhoneSessionView> {
    const existing = this.sessions.get(call.contactId);
    if (existing) return this.serialised(call.contactId, async () => this.view(existing));
    if (call.status !== 'initiated' && call.status !== 'answered') throw callEnded(call.status);
    // Load the flow before the call is answered: a flow that cannot load must not leave an answered call behind.
    const flow = await this.loadFlow();
    const raced = this.sessions.get(call.contactId);
    if (raced) return this.serialised(call.contactId, async () => this.view(raced));
    if (call.status === 'initiated') this.lifecycle(() => this.options.calls.answerCall(call.contactId));
    const session = new ContactSession(flow, {
      contactId: call.contactId,
      attributes: call.attributes,
      invokeLambda: (functionArn, event) => this.invoke(functionArn, event),
    });
    const entry: SessionEntry = { session, queue: Promise.resolve(), hungUp: false };
    this.sessions.set(call.contactId, entry);
    return this.serialised(call.contactId, async () => this.running(entry, () => session.start()));
  }

  /** Press a key ('0'-'9', '*', '#') or stay silent ('timeout') on an answered call. */
  async press(contactId: string, key: ParticipantInput): Promise<PhoneSessionView> {
    if (!KEY.test(key)) throw new PhoneRequestError(400, 'MALFORMED_REQUEST', 'key must be one of 0-9, *, # or "timeout".');
    const entry = this.sessions.get(contactId);
    if (!entry) throw new PhoneRequestError(404, 'CALL_NOT_ANSWERED', `Call ${contactId} has not been answered; GET it first.`);
    return this.serialised(contactId, async () => {
      if (entry.hungUp || entry.session.state !== 'awaiting-input') throw new PhoneRequestError(409, 'CALL_ENDED', 'The call has ended; no key is expected.');
      return this.running(entry, () => entry.session.press(key));
    });
  }

  /** Refuse a ringing call: it ends without a key (DISCONNECTED, TELECOM_BUSY). */
  async decline(contactId: string): Promise<PhoneSessionView> {
    const call = this.knownCall(contactId);
    if (this.sessions.has(contactId) || call.status === 'answered') {
      throw new PhoneRequestError(409, 'CALL_ANSWERED', 'The call was answered; hang up instead.');
    }
    if (call.status !== 'initiated') throw callEnded(call.status);
    this.lifecycle(() => this.options.calls.endCall(contactId, 'declined'));
    return unansweredView(call);
  }

  /**
   * Hang up: an answered call ends without a key (DISCONNECTED, CUSTOMER_DISCONNECT) wherever the flow was; a
   * ringing call is declined.
   */
  async hangUp(contactId: string): Promise<PhoneSessionView> {
    const entry = this.sessions.get(contactId);
    if (!entry) {
      const call = this.knownCall(contactId);
      if (call.status !== 'initiated' && call.status !== 'answered') throw callEnded(call.status);
      this.lifecycle(() => this.options.calls.endCall(contactId, 'hung-up'));
      return unansweredView(call);
    }
    return this.serialised(contactId, async () => {
      if (entry.hungUp || entry.session.state === 'disconnected') throw new PhoneRequestError(409, 'CALL_ENDED', 'The call has already ended.');
      entry.hungUp = true;
      this.lifecycle(() => this.options.calls.endCall(contactId, 'hung-up'));
      return this.view(entry);
    });
  }

  /** The session of an answered call, or undefined. */
  session(contactId: string): PhoneSessionView | undefined {
    const entry = this.sessions.get(contactId);
    return entry ? this.view(entry) : undefined;
  }

  /**
   * Route handler for the local stack: serves `GET /_local/phone/{contactId}` and `POST /_local/phone/{contactId}/`
   * `keys`, `decline` and `hangup`, answering the session JSON (or `{"error":{"code","message"}}`).
   * Resolves false for any other path, so the caller can try its other routes.
   */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const pathname = (request.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/_local\/phone\/([^/]+)(?:\/(keys|decline|hangup))?$/.exec(pathname);
    if (!match) return false;
    const method = (request.method ?? 'GET').toUpperCase();
    const contactId = safeDecode(match[1] as string);
    const action = match[2] as 'keys' | 'decline' | 'hangup' | undefined;
    try {
      if (!CONTACT_ID.test(contactId)) throw new PhoneRequestError(404, 'CALL_NOT_FOUND', 'No such call.');
      if (action === undefined && method === 'GET') {
        sendJson(response, 200, await this.startCall(this.knownCall(contactId)));
      } else if (action === 'keys' && method === 'POST') {
        const key = await readKey(request);
        sendJson(response, 200, await this.press(contactId, key));
      } else if ((action === 'decline' || action === 'hangup') && method === 'POST') {
        // The body, if any, says nothing; read it so the connection stays usable.
        request.resume();
        sendJson(response, 200, action === 'decline' ? await this.decline(contactId) : await this.hangUp(contactId));
      } else {
        request.resume();
        sendJson(
          response,
          405,
          { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not served on ${pathname}.` } },
          { Allow: action ? 'POST' : 'GET' },
        );
      }
    } catch (error) {
      if (error instanceof PhoneRequestError) sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      else if (error instanceof ContactFlowRuntimeError) sendJson(response, 500, { error: { code: 'FLOW_FAILED', message: error.message } });
      else throw error;
    }
    return true;
  }

  private knownCall(contactId: string): PhoneCall {
    const call = this.options.calls.call(contactId);
    if (!call) throw new PhoneRequestError(404, 'CALL_NOT_FOUND', `No call ${contactId} was placed.`);
    return call;
  }

  /** Run the flow on; when it hangs up (or fails, which ends a contact in Connect too) the call ends. */
  private async running(entry: SessionEntry, step: () => Promise<unknown>): Promise<PhoneSessionView> {
    try {
      await step();
    } catch (error) {
      if (error instanceof ContactFlowRuntimeError) this.endByFlow(entry);
      throw error;
    }
    const view = this.view(entry);
    if (entry.session.state === 'disconnected' && !entry.hungUp) this.endByFlow(entry, view.decision);
    return view;
  }

  private endByFlow(entry: SessionEntry, decision?: Record<string, string> | null): void {
    const contactId = entry.session.contactId;
    this.lifecycle(() => this.options.calls.endCall(contactId, 'flow-ended', decision ? { decision } : {}), { quiet: true });
  }

  /** One lifecycle step on the emulator; a step the call's state does not allow is the caller's 409. */
  private lifecycle(step: () => unknown, options: { quiet?: boolean } = {}): void {
    try {
      step();
    } catch (error) {
      if (!(error instanceof CallStateError)) throw error;
      // The flow hanging up after the ring timer or the operator already ended the call changes nothing.
      if (options.quiet) return;
      throw callEnded(error.status);
    }
  }

  private view(entry: SessionEntry): PhoneSessionView {
    const { session } = entry;
    const attributes = session.contactAttributes;
    const answered = [...session.lambdaInvocations].reverse().find((invocation) => invocation.response);
    return {
      contactId: session.contactId,
      inspectionId: attributes.inspectionId ?? null,
      spoken: [...session.spoken],
      awaiting: session.state === 'disconnected' || entry.hungUp ? 'done' : 'keypress',
      inputs: [...session.inputs],
      decision: answered?.response ? { ...answered.response } : null,
    };
  }

  /** One step at a time per call: a double click must not run two transitions from the same prompt. */
  private serialised<T>(contactId: string, work: () => Promise<T>): Promise<T> {
    const entry = this.sessions.get(contactId);
    if (!entry) return work();
    const result = entry.queue.then(work, work);
    entry.queue = result.catch(() => undefined);
    return result;
  }

  private async invoke(functionArn: string, event: ConnectContactFlowEvent): Promise<unknown> {
    if (functionArn !== LOCAL_RECORD_DECISION_ARN) throw new Error(`No local function ${functionArn}`);
    const recordDecision = this.options.recordDecision ?? (await import('../../functions/handlers/record-decision')).handler;
    return recordDecision(event);
  }

  private loadFlow(): Promise<ContactFlow> {
    this.flow ??= (async () => {
      const text = await readFile(this.options.flowPath ?? DEFAULT_FLOW_PATH, 'utf8');
      return loadContactFlow(text, { substitutions: { RecordDecisionFunctionArn: LOCAL_RECORD_DECISION_ARN } });
    })();
    this.flow.catch(() => {
      this.flow = undefined;
    });
    return this.flow;
  }
}

/** The 409 for a step the call's state does not allow. */
function callEnded(status: PhoneCallStatus): PhoneRequestError {
  if (status === 'answered') return new PhoneRequestError(409, 'CALL_ANSWERED', 'The call was answered; hang up instead.');
  if (status === 'initiated') return new PhoneRequestError(409, 'CALL_RINGING', 'The call is still ringing; answer or decline it.');
  return new PhoneRequestError(409, 'CALL_ENDED', ENDED_MESSAGES[status]);
}

/** The session view of a call that ended before anyone answered: nothing heard, nothing pressed. */
function unansweredView(call: PhoneCall): PhoneSessionView {
  return { contactId: call.contactId, inspectionId: call.attributes.inspectionId ?? null, spoken: [], awaiting: 'done', inputs: [], decision: null };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A phone simulator over the Connect emulator's calls; mount with `if (await phone.handle(req, res)) return;`. */
export function createPhoneSimulator(options: PhoneSimulatorOptions): PhoneSimulator {
  return new PhoneSimulator(options);
}

async function readKey(request: IncomingMessage): Promise<ParticipantInput> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BODY_BYTES) throw new PhoneRequestError(413, 'PAYLOAD_TOO_LARGE', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new PhoneRequestError(400, 'MALFORMED_REQUEST', 'The body must be JSON like {"key": "1"}.');
  }
  const key = typeof body === 'object' && body !== null ? (body as { key?: unknown }).key : undefined;
  if (typeof key !== 'string' || !KEY.test(key)) throw new PhoneRequestError(400, 'MALFORMED_REQUEST', 'key must be one of 0-9, *, # or "timeout".');
  return key;
}
