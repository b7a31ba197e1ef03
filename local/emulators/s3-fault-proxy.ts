import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';

/**
 * A reverse proxy in front of s3rver (dev and test only, never deployed) that answers chosen requests with an S3 fault
 * instead of forwarding them. s3rver itself cannot be told to fail, and the issue 6 fault-injection tests need "the S3
 * write fails" to happen on the wire, where the real SDK client sees it, retries it and maps it, as it would in AWS.
 *
 * Everything else goes through untouched: method, path, query and headers as sent (the Host header included, because it
 * is part of the SigV4 signature s3rver checks), the body streamed both ways, so multi-MB uploads and downloads are
 * byte-exact and never buffered whole.
 */

/** Which requests a queued fault applies to. Every given field must match; an empty match takes the next request. */
export interface S3RequestMatch {
  /** HTTP method, case-insensitive (`PUT` for PutObject and UploadPart, `POST` for a presigned form upload). */
  method?: string;
  /**
   * The object key, URL-decoded: the path after `/<bucket>/` (path-style addressing) or, for a presigned POST form
   * upload to `/<bucket>`, its `key` field. Bucket-level requests (ListObjectsV2) have the key `''`.
   * A string must equal the key; a RegExp must match it.
   */
  key?: RegExp | string;
}

/** What a matched request gets instead of reaching S3. */
export type S3Fault =
  /** An S3 error answer (XML body, as S3 sends it); the SDK names the error after `code`. */
  | { kind?: 'error'; status: number; code: string; message?: string }
  /** The connection is dropped without an answer: a network failure for the client (ECONNRESET / socket hang up). */
  | { kind: 'reset' }
  /** The body is read and no answer ever comes, until the client gives up (its request timeout) or the proxy closes. */
  | { kind: 'hang' };

/** One request the proxy handled. */
export interface S3ProxyRequest {
  method: string;
  /** First path segment; `''` for service-level requests. */
  bucket: string;
  /** See S3RequestMatch.key. */
  key: string;
  /** The query string without `?` (e.g. `uploads`, `partNumber=2&uploadId=...`), `''` when none. */
  query: string;
  /** Status sent to the client: s3rver's, the fault's, 502 when s3rver was unreachable, 0 for a reset, a hang or a client gone. */
  status: number;
  /** True when a queued fault answered instead of s3rver (the request never reached it). */
  faulted: boolean;
  /** The S3 error code of an error fault; `reset` or `hang` for those faults. */
  fault?: string;
}

export interface S3FaultProxyOptions {
  /** The s3rver endpoint to forward to (http only), e.g. `S3Emulator.endpoint`. */
  target: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** A running proxy: point S3 clients (and presigned uploads) at `endpoint` instead of s3rver's. */
export interface S3FaultProxy {
  endpoint: string;
  /**
   * Answer the next `count` requests matching `match` with `fault` (default: 503 SlowDown) instead of forwarding them.
   * Faults are taken in the order queued, each by the first request it matches; other requests pass through meanwhile.
   * The SDK retries 5xx, SlowDown and dropped connections itself (3 attempts in aws-clients.ts): queue 3 for the
   * caller to see the failure, 1 to see the retry absorb it.
   */
  failNext(count: number, match?: S3RequestMatch, fault?: S3Fault): void;
  /** Queued faults not consumed yet. */
  pendingFaults(): number;
  /** Drop every queued fault. */
  clearFaults(): void;
  /** Requests handled so far, oldest first (copies). */
  requests(): S3ProxyRequest[];
  /** Forget the request log (queued faults stay). */
  resetRequests(): void;
  /** Stop listening and drop open connections, to clients and to s3rver. */
  close(): Promise<void>;
}

/** What S3 answers when a partition is over its request rate; the SDK treats SlowDown as throttling (longer backoff). */
export const SLOW_DOWN: S3Fault = { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };

// Headers that describe one connection, not the message: node sets its own on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

// A form upload puts `key` before the file (S3 requires the file last); give up looking after this much.
const FORM_KEY_PEEK_BYTES = 64 * 1024;

interface QueuedFault {
  match: S3RequestMatch;
  fault: S3Fault;
}

/**
 * Start the proxy on 127.0.0.1 (port 0 by default) in front of `target`.
 * Path-style addressing only, as the SDK clients use against s3rver (forcePathStyle).
 */
export async function startS3FaultProxy(options: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`S3 fault proxy target must be an http:// endpoint, got ${options.target}`);
  const host = options.host ?? '127.0.0.1';
  const upstreamAgent = new Agent({ keepAlive: true });
  const queue: QueuedFault[] = [];
  const log: S3ProxyRequest[] = [];

  const takeFault = (entry: S3ProxyRequest): S3Fault | undefined => {
    const index = queue.findIndex(({ match }) => matches(match, entry));
    if (index < 0) return undefined;
    return queue.splice(index, 1)[0]!.fault;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const [bucket, pathKey] = splitPath(url.pathname);
    const entry: S3ProxyRequest = { method: request.method ?? 'GET', bucket, key: pathKey, query: url.search.replace(/^\?/, ''), status: 0, faulted: false };
    log.push(entry);

    let body: Readable = request;
    if (entry.method === 'POST' && pathKey === '' && isMultipartForm(request.headers)) {
      const form = await peekFormKey(request, formBoundary(request.headers['content-type']!));
      if (form.key !== undefined) entry.key = form.key;
      body = form.body;
    }

    const fault = takeFault(entry);
    if (fault) {
      entry.faulted = true;
      entry.fault = fault.kind === 'reset' || fault.kind === 'hang' ? fault.kind : fault.code;
      // Read the whole body first: answering (or hanging up) while the client still writes would show it EPIPE
      // halfway through the upload, a different failure from the one asked for.
      body.resume();
      await finished(body);
      if (fault.kind === 'hang') return;
      if (fault.kind === 'reset') {
        request.socket.destroy();
        return;
      }
      sendError(response, entry, fault, url.pathname);
      return;
    }

    const upstream = httpRequest({
      host: target.hostname,
      port: target.port,
      method: entry.method,
      path: request.url,
      headers: forwardable(request.headers),
      agent: upstreamAgent,
    });
    // A late socket error after the exchange must not become an unhandled 'error' event.
    upstream.on('error', () => undefined);
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    // Both halves run at once: s3rver may answer (an error) before it has read the whole body. A failed upload half
    // destroys the upstream request, which fails the answer below, so its own rejection carries nothing more.
    pipeline(body, upstream).catch(() => undefined);
    let upstreamResponse: IncomingMessage;
    try {
      upstreamResponse = await answered;
    } catch {
      sendError(response, entry, { status: 502, code: 'BadGateway', message: 'The S3 stand-in behind the fault proxy did not answer.' }, url.pathname);
      return;
    }
    entry.status = upstreamResponse.statusCode ?? 502;
    response.writeHead(entry.status, upstreamResponse.statusMessage, forwardable(upstreamResponse.headers));
    await pipeline(upstreamResponse, response);
  };

  const server = createServer((request, response) => {
    // A client or s3rver hanging up mid-transfer ends only that exchange, never the test run.
    handle(request, response).catch(() => {
      if (!response.writableEnded) response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;

  return {
    endpoint: `http://${host}:${port}`,
    failNext(count, match = {}, fault = SLOW_DOWN) {
      for (let i = 0; i < count; i += 1) queue.push({ match, fault });
    },
    pendingFaults: () => queue.length,
    clearFaults() {
      queue.length = 0;
    },
    requests: () => log.map((entry) => ({ ...entry })),
    resetRequests() {
      log.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      upstreamAgent.destroy();
    },
  };
}

function matches(match: S3RequestMatch, entry: S3ProxyRequest): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method.toUpperCase()) return false;
  if (match.key === undefined) return true;
  if (typeof match.key === 'string') return match.key === entry.key;
  match.key.lastIndex = 0;
  return match.key.test(entry.key);
}

/** `/bucket/a/b.json` → [`bucket`, `a/b.json`], percent-decoded. */
function splitPath(pathname: string): [string, string] {
  const rest = pathname.replace(/^\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return [decode(rest), ''];
  return [decode(rest.slice(0, slash)), decode(rest.slice(slash + 1))];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) kept[name] = value;
  return kept;
}

function isMultipartForm(headers: IncomingHttpHeaders): boolean {
  return /^multipart\/form-data\b/i.test(headers['content-type'] ?? '') && formBoundary(headers['content-type']!) !== undefined;
}

function formBoundary(contentType: string): string | undefined {
  const found = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return found ? (found[1] ?? found[2]) : undefined;
}

/**
 * Read a form upload only as far as its `key` field, so a fault can match the object it would create; the body
 * handed back replays what was read, then streams the rest.
 */
async function peekFormKey(request: IncomingMessage, boundary: string | undefined): Promise<{ key?: string; body: Readable }> {
  const iterator = request[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let size = 0;
  let ended = false;
  let key: string | undefined;
  const keyField = new RegExp(
    `content-disposition:[^\\r\\n]*\\bname="key"[^\\r\\n]*\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n([\\s\\S]*?)\\r\\n--${escapeRegExp(boundary ?? '')}`,
    'i',
  );
  while (size < FORM_KEY_PEEK_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    seen.push(next.value);
    size += next.value.byteLength;
    // latin1 keeps one char per byte, so the UTF-8 key is recovered from the same bytes below.
    const head = Buffer.concat(seen).toString('latin1');
    const found = keyField.exec(head);
    if (found) {
      key = Buffer.from(found[1]!, 'latin1').toString('utf8');
      break;
    }
    if (/content-disposition:[^\r\n]*\bname="file"/i.test(head)) break;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* seen;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { ...(key !== undefined ? { key } : {}), body: Readable.from(replay(), { objectMode: false }) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sendError(response: ServerResponse, entry: S3ProxyRequest, fault: { status: number; code: string; message?: string }, resource: string): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>${xmlEscape(fault.code)}</Code><Message>${xmlEscape(fault.message ?? `Injected ${fault.code} fault.`)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  entry.status = fault.status;
  response.writeHead(fault.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
  });
  response.end(body);
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
