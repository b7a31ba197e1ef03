import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectContactFlowEvent } from 'aws-lambda';
import { DECISION_SPOKEN, isDecisionKind } from '../../functions/core/record-operator-decision';
import { ContactFlowRuntimeError, ContactSession, type ParticipantInput } from '../contact-flow-interpreter/contact-session';
import { loadContactFlow, type ContactFlow } from '../contact-flow-interpreter/flow-language';
import { sendJson } from '../json-response';

/**
 * The operator's phone, simulated for the local stack (dev only): a call the Connect emulator placed is
 * run through the shipped contact flow by the flow interpreter, and the flow's InvokeLambdaFunction calls
 * the real record-decision handler, so pressing 1 or 2 writes the decision to the inspection record
 * exactly as Amazon Connect and Lambda would.
 *
 * HTTP (JSON both ways, see handle()):
 *   GET  /_local/phone/{contactId}        answer the call (first time) and return the session
 *   POST /_local/phone/{contactId}/keys   body {"key": "0"-"9" | "*" | "#" | "timeout"}, returns the session
 */

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_FLOW_PATH = path.join(PROJECT_ROOT, 'contact-flows/wafer-anomaly-alert.json');
/** The ARN the local flow is given for record-decision; any other ARN fails like a function Connect cannot invoke. */
export const LOCAL_RECORD_DECISION_ARN = 'arn:aws:lambda:local:000000000000:function:waferwatch-local-recordDecision';
const CONTACT_ID = /^[A-Za-z0-9-]{1,128}$/;
const KEY = /^(?:[0-9*#]|timeout)$/;
const MAX_BODY_BYTES = 1024;

/** A call as the Connect emulator recorded it (local/emulators/connect-emulator.ts EmulatedCall fits). */
export interface PhoneCall {
  contactId: string;
  attributes: Record<string, string>;
}

/** What the phone panel shows for one call. */
export interface PhoneSessionView {
  contactId: string;
  inspectionId: string | null;
  /** Everything the operator has heard so far, in order, as plain text. */
  spoken: string[];
  /** `keypress` while the flow waits for a key (or silence); `done` once it hung up. */
  awaiting: 'keypress' | 'done';
  /** Keys pressed and timeouts so far. */
  inputs: string[];
  /** record-decision's answer once the flow invoked it (status recorded | already-recorded | conflict | error). */
  decision: Record<string, string> | null;
}

/** The Connect emulator's calls, as far as the phone needs them. */
export interface PhoneCallSource {
  call(contactId: string): PhoneCall | undefined;
  /** Optional: told when the operator answers and when the call ends, with record-decision's answer. */
  updateCall?(contactId: string, change: { status?: 'answered' | 'completed'; decision?: unknown }): unknown;
}

export interface PhoneSimulatorOptions {
  calls: PhoneCallSource;
  /** The record-decision handler; default: the real one from functions/record-decision.ts, imported on first use. */
  recordDecision?: (event: ConnectContactFlowEvent) => Promise<unknown>;
  /** The flow file; default contact-flows/wafer-anomaly-alert.json. */
  flowPath?: string;
  /** The safe default substituted into the flow; default OPERATOR_DEFAULT_DECISION or hold, as record-decision reads it. */
  defaultDecision?: string;
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

/** Calls the local operator is on, each run through the shipped flow. */
export class PhoneSimulator {
  private readonly sessions = new Map<string, { session: ContactSession; queue: Promise<unknown> }>();
  private flow: Promise<ContactFlow> | undefined;

  constructor(private readonly options: PhoneSimulatorOptions) {}

  /**
   * Answer a call: run the flow from its start until it waits for a key. Answering a call already
   * answered returns its session unchanged (a page reload must not restart the call).
   */
  async startCall(call: PhoneCall): Promise<PhoneSessionView> {
    const existing = this.sessions.get(call.contactId);
    if (existing) return this.serialised(call.contactId, async () => this.view(existing.session));
    const session = new ContactSession(await this.loadFlow(), {
      contactId: call.contactId,
      attributes: call.attributes,
      invokeLambda: (functionArn, event) => this.invoke(functionArn, event),
    });
    const entry = { session, queue: Promise.resolve() as Promise<unknown> };
    this.sessions.set(call.contactId, entry);
    this.options.calls.updateCall?.(call.contactId, { status: 'answered' });
    return this.serialised(call.contactId, async () => {
      await session.start();
      return this.finish(session);
    });
  }

  /** Press a key ('0'-'9', '*', '#') or stay silent ('timeout') on an answered call. */
  async press(contactId: string, key: ParticipantInput): Promise<PhoneSessionView> {
    if (!KEY.test(key)) throw new PhoneRequestError(400, 'MALFORMED_REQUEST', 'key must be one of 0-9, *, # or "timeout".');
    const entry = this.sessions.get(contactId);
    if (!entry) throw new PhoneRequestError(404, 'CALL_NOT_ANSWERED', `Call ${contactId} has not been answered; GET it first.`);
    return this.serialised(contactId, async () => {
      if (entry.session.state !== 'awaiting-input') throw new PhoneRequestError(409, 'CALL_ENDED', 'The call has ended; no key is expected.');
      await entry.session.press(key);
      return this.finish(entry.session);
    });
  }

  /** The session of an answered call, or undefined. */
  session(contactId: string): PhoneSessionView | undefined {
    const entry = this.sessions.get(contactId);
    return entry ? this.view(entry.session) : undefined;
  }

  /**
   * Route handler for the local stack: serves `GET /_local/phone/{contactId}` and
   * `POST /_local/phone/{contactId}/keys`, answering the session JSON (or `{"error":{"code","message"}}`).
   * Resolves false for any other path, so the caller can try its other routes.
   */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const pathname = (request.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/_local\/phone\/([^/]+)(\/keys)?$/.exec(pathname);
    if (!match) return false;
    const method = (request.method ?? 'GET').toUpperCase();
    const contactId = decodeURIComponent(match[1] as string);
    const wantsKeys = match[2] !== undefined;
    try {
      if (!CONTACT_ID.test(contactId)) throw new PhoneRequestError(404, 'CALL_NOT_FOUND', 'No such call.');
      if (!wantsKeys && method === 'GET') {
        const call = this.options.calls.call(contactId);
        if (!call) throw new PhoneRequestError(404, 'CALL_NOT_FOUND', `No call ${contactId} was placed.`);
        sendJson(response, 200, await this.startCall(call));
      } else if (wantsKeys && method === 'POST') {
        const key = await readKey(request);
        sendJson(response, 200, await this.press(contactId, key));
      } else {
        request.resume();
        sendJson(response, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not served on ${pathname}.` } }, { Allow: wantsKeys ? 'POST' : 'GET' });
      }
    } catch (error) {
      if (error instanceof PhoneRequestError) sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      else if (error instanceof ContactFlowRuntimeError) sendJson(response, 500, { error: { code: 'FLOW_FAILED', message: error.message } });
      else throw error;
    }
    return true;
  }

  private finish(session: ContactSession): PhoneSessionView {
    const view = this.view(session);
    if (view.awaiting === 'done') this.options.calls.updateCall?.(view.contactId, { status: 'completed', decision: view.decision });
    return view;
  }

  private view(session: ContactSession): PhoneSessionView {
    const attributes = session.contactAttributes;
    const answered = [...session.lambdaInvocations].reverse().find((invocation) => invocation.response);
    return {
      contactId: session.contactId,
      inspectionId: attributes.inspectionId ?? null,
      spoken: [...session.spoken],
      awaiting: session.state === 'disconnected' ? 'done' : 'keypress',
      inputs: [...session.inputs],
      decision: answered?.response ? { ...answered.response } : null,
    };
  }

  /** One key at a time per call: a double click must not run two transitions from the same prompt. */
  private serialised<T>(contactId: string, work: () => Promise<T>): Promise<T> {
    const entry = this.sessions.get(contactId);
    if (!entry) return work();
    const result = entry.queue.then(work, work);
    entry.queue = result.catch(() => undefined);
    return result;
  }

  private async invoke(functionArn: string, event: ConnectContactFlowEvent): Promise<unknown> {
    if (functionArn !== LOCAL_RECORD_DECISION_ARN) throw new Error(`No local function ${functionArn}`);
    const recordDecision = this.options.recordDecision ?? (await import('../../functions/record-decision')).handler;
    return recordDecision(event);
  }

  private loadFlow(): Promise<ContactFlow> {
    this.flow ??= (async () => {
      const configured = this.options.defaultDecision ?? process.env.OPERATOR_DEFAULT_DECISION ?? 'hold';
      const defaultDecision = isDecisionKind(configured) ? configured : 'hold';
      const text = await readFile(this.options.flowPath ?? DEFAULT_FLOW_PATH, 'utf8');
      return loadContactFlow(text, {
        substitutions: { RecordDecisionFunctionArn: LOCAL_RECORD_DECISION_ARN, OperatorDefaultDecisionSpoken: DECISION_SPOKEN[defaultDecision] },
      });
    })();
    this.flow.catch(() => {
      this.flow = undefined;
    });
    return this.flow;
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

