import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Shared plumbing of the local AWS emulators (dev and test code, never deployed): a node:http
 * server on 127.0.0.1 speaking the restJson1 wire protocol the SDK v3 clients use, a log of the
 * requests it received, and a queue of scripted faults consumed one per request.
 *
 * restJson1 errors, as the SDK parses them: an HTTP status, an `X-Amzn-ErrorType` header whose
 * text before the first ':' is the exception name, and a JSON body with the shape's members
 * (`Message`, plus e.g. `ResourceId`/`ResourceType`); `Retry-After` feeds RetryAfterSeconds.
 */

/** One request as the emulator saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: string;
  /** Status the emulator answered with (0 when it hung up or never answered). */
  status: number;
  /** Exception name when the answer was an error. */
  errorType?: string;
}

/** A service error in the service's own terms. */
export interface ServiceError {
  errorType: string;
  status: number;
  message: string;
  /** Extra members of the exception shape (ResourceId, QuotaCode, ...). */
  fields?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** What a route answers; a `json` answer without a body is sent with none (204, say). */
export type EmulatorResponse = { kind: 'json'; status: number; body?: unknown; headers?: Record<string, string> } | { kind: 'error'; error: ServiceError };

/** A scripted answer for the next request, consumed in order. */
export type ScriptedFault =
  | { kind: 'error'; error: ServiceError }
  /** Accept the request and never answer, to exercise client timeouts. */
  | { kind: 'hang' }
  /** Drop the connection without an HTTP response, like a crashed load balancer. */
  | { kind: 'reset' };

/** Request as a route sees it. */
export interface RouteRequest {
  method: string;
  path: string;
  /** Path segments, percent-decoded. */
  segments: string[];
  /** The query string's parameters (the GET operations of some services are driven by them). */
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** What an emulator may set of the plumbing: the largest request body it reads, and what it answers past it. */
export interface RestJsonEmulatorLimits {
  /** Default 16 MiB. */
  maxBodyBytes?: number;
  /** Default ValidationException 413. */
  bodyTooLarge?: ServiceError;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const BODY_TOO_LARGE: ServiceError = { errorType: 'ValidationException', status: 413, message: 'Request body too large' };

/** Base class: subclasses implement `route`. */
export abstract class RestJsonEmulator {
  private server: Server | undefined;
  private readonly received: ReceivedRequest[] = [];
  private readonly faults: ScriptedFault[] = [];
  private url: string | undefined;

  /** `namespace` is the Smithy namespace used in the X-Amzn-ErrorType header, e.g. com.amazonaws.lookoutvision. */
  protected constructor(
    private readonly namespace: string,
    private readonly listen: { host: string; port: number },
    private readonly limits: RestJsonEmulatorLimits = {},
  ) {}

  /** The JSON body of an error answer: the exception shape's members, `Message` first. A service spelling it otherwise overrides this. */
  protected errorBody(error: ServiceError): unknown {
    return { Message: error.message, ...error.fields };
  }

  /** Start listening (port 0 picks a free port); resolves with the endpoint URL for the SDK client. */
  async start(): Promise<string> {
    if (this.url) return this.url;
    const server = createServer((request, response) => {
      // A client that hangs up mid-answer must not become an unhandled rejection in the test run.
      this.handle(request, response).catch(() => response.destroy());
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listen.port, this.listen.host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://${this.listen.host}:${port}`;
    return this.url;
  }

  /** The endpoint URL; throws before start(). */
  get endpoint(): string {
    if (!this.url) throw new Error('Emulator not started');
    return this.url;
  }

  /** Stop listening and drop open connections (including hung requests). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.url = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Requests received so far, oldest first (copies). */
  requests(): ReceivedRequest[] {
    return this.received.map((request) => ({ ...request }));
  }

  /** Forget the recorded requests (queued faults stay). */
  resetRequests(): void {
    this.received.length = 0;
  }

  /** Queue `count` identical scripted faults for the next requests. */
  protected enqueueFault(count: number, fault: ScriptedFault): void {
    for (let i = 0; i < count; i += 1) this.faults.push(fault);
  }

  /** Drop every queued fault. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Number of scripted faults not consumed yet. */
  pendingFaults(): number {
    return this.faults.length;
  }

  /** Make the next `count` requests hang without an answer (the client's timeout must fire). */
  hangNext(count = 1): void {
    this.enqueueFault(count, { kind: 'hang' });
  }

  /** Make the next `count` requests end with a dropped connection. */
  resetNext(count = 1): void {
    this.enqueueFault(count, { kind: 'reset' });
  }

  protected abstract route(request: RouteRequest): Promise<EmulatorResponse>;

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const record: ReceivedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: { ...request.headers },
      body: Buffer.alloc(0),
      receivedAt: new Date().toISOString(),
      status: 0,
    };
    this.received.push(record);
    try {
      record.body = await readBody(request, this.limits.maxBodyBytes ?? MAX_BODY_BYTES);
    } catch {
      this.send(response, record, { kind: 'error', error: this.limits.bodyTooLarge ?? BODY_TOO_LARGE });
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      this.send(response, record, fault);
      return;
    }
    let answer: EmulatorResponse;
    try {
      const url = new URL(record.path, 'http://emulator');
      const segments = url.pathname
        .split('/')
        .filter((segment) => segment.length > 0)
        .map(safeDecode);
      answer = await this.route({ method: record.method, path: url.pathname, segments, query: url.searchParams, headers: request.headers, body: record.body });
    } catch {
      answer = { kind: 'error', error: { errorType: 'InternalServerException', status: 500, message: 'Emulator failure' } };
    }
    this.send(response, record, answer);
  }

  private send(response: ServerResponse, record: ReceivedRequest, answer: EmulatorResponse): void {
    const requestId = randomUUID();
    if (answer.kind === 'json' && answer.body === undefined) {
      record.status = answer.status;
      response.writeHead(answer.status, { 'x-amzn-requestid': requestId, ...answer.headers });
      response.end();
      return;
    }
    if (answer.kind === 'json') {
      const body = JSON.stringify(answer.body);
      record.status = answer.status;
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-amzn-requestid': requestId,
        ...answer.headers,
      });
      response.end(body);
      return;
    }
    const { error } = answer;
    const body = JSON.stringify(this.errorBody(error));
    record.status = error.status;
    record.errorType = error.errorType;
    response.writeHead(error.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
      // The real services append a URL after the name; the SDK keeps only the part before ':'.
      'x-amzn-errortype': `${error.errorType}:http://internal.amazon.com/coral/${this.namespace}/`,
      ...error.headers,
    });
    response.end(body);
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > maxBytes) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The request body as a JSON object, or undefined when it is not one (an empty body reads as `{}`). */
export function jsonObjectBody(request: Pick<RouteRequest, 'body'>): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8') || '{}');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
