import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GATEWAY_MAX_PAYLOAD_BYTES } from '../../../local/api-gateway-events';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';

// A throwaway project whose handlers echo what they receive, so these tests see exactly the events and responses
// the local stack produces, independent of the product's own handlers.
const SERVERLESS_YML = `
service: gateway-probe
provider:
  name: aws
  environment:
    BUCKET: !Ref ImageBucket
  apiGateway:
    binaryMediaTypes: ['image/*', 'application/octet-stream']
functions:
  echo:
    handler: functions/echo.handler
    events:
      - http: { path: 'things/{id}', method: post }
      - http: { path: things, method: get }
  boom:
    handler: functions/boom.handler
    events:
      - http: { path: boom, method: get }
  picture:
    handler: functions/picture.handler
    events:
      - http: { path: picture, method: get }
  contactEvents:
    handler: functions/contact-events.handler
    timeout: 5
    events:
      - eventBridge:
          pattern:
            source: [aws.connect]
            detail-type: [Amazon Connect Contact Event]
            detail:
              eventType: [INITIATED, CONNECTED_TO_SYSTEM, DISCONNECTED]
              instanceArn:
                - !Sub 'arn:\${AWS::Partition}:connect:\${AWS::Region}:\${AWS::AccountId}:instance/\${param:connectInstanceId}'
`;

const ECHO_HANDLER = `
export async function handler(event, context) {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Single': 'one' },
    multiValueHeaders: { 'X-Multi': ['a', 'b'] },
    body: JSON.stringify({ event, functionName: context.functionName, awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() }),
  };
}
`;
const BOOM_HANDLER = `export async function handler() { throw new Error('secret detail'); }`;
// Records every contact event it is invoked with; its first CONNECTED_TO_SYSTEM fails, as a throttled store would.
const CONTACT_EVENTS_HANDLER = `
export async function handler(event, context) {
  const seen = (globalThis.__contactEventsReceived ??= []);
  seen.push({ event, functionName: context.functionName });
  if (event.detail.eventType === 'CONNECTED_TO_SYSTEM' && !globalThis.__contactEventsFailedOnce) {
    globalThis.__contactEventsFailedOnce = true;
    throw new Error('throttled');
  }
}
`;
const PICTURE_HANDLER = `
export async function handler() {
  return { statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]).toString('base64'), isBase64Encoded: true };
}
`;

interface Echo {
  event: APIGatewayProxyEvent;
  functionName: string;
  awsRequestId: string;
  remaining: number;
}

/** A raw request, so Content-Length and streaming are under the test's control. */
function send(
  url: string,
  options: { method: string; headers?: Record<string, string | number>; body?: Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    // The server may hang up on an oversized body before it is all sent; the answer has already arrived then.
    request.on('error', reject);
    request.end(options.body);
  });
}

interface ReceivedContactEvent {
  event: {
    id: string;
    source: string;
    'detail-type': string;
    resources: string[];
    detail: { eventType: string; contactId: string; instanceArn: string; disconnectReason?: string };
  };
  functionName: string;
}

/** What the project's contactEvents handler has been invoked with, in this process. */
const contactEventsReceived = () => (globalThis as { __contactEventsReceived?: ReceivedContactEvent[] }).__contactEventsReceived ?? [];

describe('local stack as API Gateway', () => {
  let projectRoot: string;
  let stack: LocalStack;
  const logLines: string[] = [];

  /** Place a call on the stack's Connect emulator as the place-call function would. */
  async function placeCall(instanceId = stack.env.CONNECT_INSTANCE_ID!): Promise<string> {
    const response = await fetch(`${stack.env.CONNECT_ENDPOINT}/contact/outbound-voice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        InstanceId: instanceId,
        ContactFlowId: stack.env.CONNECT_CONTACT_FLOW_ID,
        DestinationPhoneNumber: '+15555550101',
        SourcePhoneNumber: stack.env.CONNECT_SOURCE_PHONE_NUMBER,
        Attributes: {
          inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
          stationId: 'litho-3',
          stationName: 'Litho three',
          confidencePercent: '93',
          foldedAnomalies: '0',
          callKind: 'anomaly',
          contactName: 'Shift lead',
          escalationLevel: '2',
          escalationLoop: '1',
        },
      }),
    });
    return ((await response.json()) as { ContactId: string }).ContactId;
  }

  beforeAll(async () => {
    projectRoot = await mkdtemp(path.join(tmpdir(), 'waferwatch-gateway-'));
    await mkdir(path.join(projectRoot, 'functions'));
    await mkdir(path.join(projectRoot, 'static-site'));
    await writeFile(path.join(projectRoot, 'serverless.yml'), SERVERLESS_YML);
    await writeFile(path.join(projectRoot, 'functions/echo.ts'), ECHO_HANDLER);
    await writeFile(path.join(projectRoot, 'functions/boom.ts'), BOOM_HANDLER);
    await writeFile(path.join(projectRoot, 'functions/picture.ts'), PICTURE_HANDLER);
    await writeFile(path.join(projectRoot, 'functions/contact-events.ts'), CONTACT_EVENTS_HANDLER);
    await writeFile(path.join(projectRoot, 'static-site/index.html'), '<!doctype html><title>probe</title>');
    await writeFile(path.join(projectRoot, 'secret.txt'), 'outside the site');
    stack = await startLocalStack({
      port: 0,
      projectRoot,
      dataDir: path.join(projectRoot, '.data'),
      env: { DETECTOR: 'lookoutvision', POWERTOOLS_LOG_LEVEL: 'WARN', RING_TIMEOUT_SECONDS: '1', WAFERWATCH_AUTH: 'off' },
      log: (line) => logLines.push(line),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await rm(projectRoot, { recursive: true, force: true });
  });

  it('delivers a binary body base64-encoded with the REST proxy event fields and path parameters', async () => {
    // Prepare
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x80, 0x81]);

    // Act
    const response = await send(`${stack.url}/things/A%20B?station=s1&tag=x&tag=y`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg', 'X-Station-Id': 'line-4' },
      body: bytes,
    });
    const echo = JSON.parse(response.body.toString('utf8')) as Echo;

    // Assess
    expect(response.status).toBe(200);
    expect(echo.event).toMatchObject({
      resource: '/things/{id}',
      path: '/things/A%20B',
      httpMethod: 'POST',
      pathParameters: { id: 'A B' },
      queryStringParameters: { station: 's1', tag: 'y' },
      multiValueQueryStringParameters: { station: ['s1'], tag: ['x', 'y'] },
      stageVariables: null,
      isBase64Encoded: true,
      requestContext: { stage: 'local', resourcePath: '/things/{id}', httpMethod: 'POST', requestId: echo.awsRequestId },
    });
    expect(Buffer.from(echo.event.body!, 'base64')).toEqual(bytes);
    expect(echo.event.headers['X-Station-Id']).toBe('line-4');
    expect(echo.event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(echo.functionName).toBe('echo');
    expect(echo.remaining).toBeGreaterThan(25_000);
    expect(response.headers['x-single']).toBe('one');
    expect(response.headers['x-multi']).toBe('a, b');
    expect(response.headers['x-amzn-requestid']).toBe(echo.awsRequestId);
  });

  it('passes a JSON body as text and sets the query maps to null without a query string', async () => {
    // Act
    const response = await send(`${stack.url}/things/1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from('{"station":"Ä"}'),
    });
    const { event } = JSON.parse(response.body.toString('utf8')) as Echo;

    // Assess
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('{"station":"Ä"}');
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('decodes a base64 response body to bytes', async () => {
    // Act
    const response = await send(`${stack.url}/picture`, { method: 'GET' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.body).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]));
  });

  it('refuses a body over 10 MB with 413 before invoking the handler', async () => {
    // Act
    const response = await send(`${stack.url}/things/1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(API_GATEWAY_MAX_PAYLOAD_BYTES + 1),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', maxBytes: API_GATEWAY_MAX_PAYLOAD_BYTES } });
  });

  it("answers 413 PAYLOAD_TOO_LARGE readably to Node's fetch sending 11 MB, and keeps serving", async () => {
    // Act
    const response = await fetch(`${stack.url}/things/1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(11 * 1024 * 1024, 7),
    });
    const body = await response.json();
    const next = await fetch(`${stack.url}/things/2`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

    // Assess
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('larger than API Gateway accepts'), maxBytes: API_GATEWAY_MAX_PAYLOAD_BYTES },
    });
    expect(next.status).toBe(200);
  });

  it("answers 413 readably to a client still streaming an oversized body without Content-Length (Node's fetch, 30 MB in slow chunks)", async () => {
    // Prepare: chunked transfer, so the limit is only found by reading; the client is still sending long after it
    const chunk = Buffer.alloc(256 * 1024, 9);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 30 * 1024 * 1024) {
          controller.close();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });

    // Act
    const response = await fetch(`${stack.url}/things/1`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body, duplex: 'half' });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 413 readably to a client that sends its whole body before it reads (as a camera or http.client does), 32 MB', async () => {
    // Prepare
    const { hostname, port } = new URL(stack.url);
    const total = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 5);

    // Act: write everything, waiting on each write, and only then read what came back
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.pause();
    // A client whose writes stall (the server stopped reading) gives up after 10 s rather than hanging the test.
    socket.setTimeout(10_000, () => socket.destroy(new Error('no progress for 10 s')));
    const write = (data: Buffer | string) => new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
    let writeError: unknown;
    try {
      await write(`POST /things/1 HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`);
      for (let written = 0; written < total; written += chunk.byteLength) await write(chunk);
    } catch (error) {
      writeError = error;
    }
    const received: Buffer[] = [];
    socket.on('data', (data: Buffer) => received.push(data));
    const readError = await new Promise<unknown>((resolve) => {
      socket.once('end', () => resolve(undefined));
      socket.once('error', resolve);
      socket.resume();
    });
    socket.destroy();
    const answer = Buffer.concat(received).toString('utf8');

    // Assess
    expect(writeError).toBeUndefined();
    expect(readError).toBeUndefined();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 404 ROUTE_NOT_FOUND for unknown routes and methods', async () => {
    // Act
    const unknownPath = await send(`${stack.url}/nothing-here`, { method: 'GET' });
    const unknownMethod = await send(`${stack.url}/things`, { method: 'DELETE' });

    // Assess
    for (const response of [unknownPath, unknownMethod]) {
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    }
  });

  it('answers 502 like API Gateway when a handler throws, without leaking the error', async () => {
    // Act
    const response = await send(`${stack.url}/boom`, { method: 'GET' });

    // Assess
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ message: 'Internal server error' });
  });

  it('serves the page folder and config.json, and nothing outside the page folder', async () => {
    // Act
    const index = await send(`${stack.url}/`, { method: 'GET' });
    const config = await send(`${stack.url}/config.json`, { method: 'GET' });
    const port = new URL(stack.url).port;
    const configByAddress = await send(`${stack.url}/config.json`, { method: 'GET', headers: { Host: `127.0.0.1:${port}` } });
    const configBadHost = await send(`${stack.url}/config.json`, { method: 'GET', headers: { Host: 'evil"/host' } });
    const escape = await send(`${stack.url}/..%2Fsecret.txt`, { method: 'GET' });
    const dotted = await send(`${stack.url}/../secret.txt`, { method: 'GET' });

    // Assess
    expect(index.status).toBe(200);
    expect(index.body.toString('utf8')).toContain('<title>probe</title>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(JSON.parse(config.body.toString('utf8'))).toEqual({ apiBaseUrl: stack.url, auth: null, local: true });
    // The API is the page's own origin, whichever name reached it (a tablet may use the machine's address).
    expect(JSON.parse(configByAddress.body.toString('utf8')).apiBaseUrl).toBe(`http://127.0.0.1:${port}`);
    expect(JSON.parse(configBadHost.body.toString('utf8')).apiBaseUrl).toBe(stack.url);
    expect(escape.status).toBe(404);
    expect(dotted.status).toBe(404);
    expect(escape.body.toString('utf8')).not.toContain('outside the site');
  });

  it('lists no calls before any anomaly, and the operator phone knows no call to answer', async () => {
    // Act
    const response = await send(`${stack.url}/_local/calls`, { method: 'GET' });
    const answer = await send(`${stack.url}/_local/phone/no-such-contact`, { method: 'GET' });

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ calls: [] });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ error: { code: 'CALL_NOT_FOUND' } });
  });

  it("delivers the Connect emulator's contact events to serverless.yml's contactEvents through its EventBridge pattern, retrying a failed invocation", async () => {
    // Prepare
    const contactId = await placeCall();

    // Act
    const answered = await send(`${stack.url}/_local/phone/${contactId}`, { method: 'GET' });
    const hungUp = await send(`${stack.url}/_local/phone/${contactId}/hangup`, { method: 'POST' });
    await stack.alertsSettled();
    const calls = JSON.parse((await send(`${stack.url}/_local/calls`, { method: 'GET' })).body.toString('utf8')) as { calls: Array<Record<string, unknown>> };

    // Assess
    expect([answered.status, hungUp.status]).toEqual([200, 200]);
    const received = contactEventsReceived().filter((entry) => entry.event.detail.contactId === contactId);
    // The failed CONNECTED_TO_SYSTEM is retried a second later, after the DISCONNECTED that followed it was handled:
    // events reach the function out of order, as they can in AWS.
    expect(received.map((entry) => entry.event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED', 'CONNECTED_TO_SYSTEM']);
    // The retry is the same event again (same id), as Lambda retries an asynchronous invocation.
    expect(received[3]!.event).toEqual(received[1]!.event);
    expect(received[2]!.event.detail.disconnectReason).toBe('CUSTOMER_DISCONNECT');
    expect(received[0]).toMatchObject({
      functionName: 'contactEvents',
      event: {
        source: 'aws.connect',
        'detail-type': 'Amazon Connect Contact Event',
        detail: { instanceArn: `arn:aws:connect:us-east-1:000000000000:instance/${stack.env.CONNECT_INSTANCE_ID}` },
      },
    });
    expect(calls.calls.find((call) => call.contactId === contactId)).toMatchObject({
      status: 'completed',
      disconnectReason: 'CUSTOMER_DISCONNECT',
      destination: '+1******0101',
      attributes: { contactName: 'Shift lead', escalationLevel: '2' },
    });
  });

  it('ends a call nobody answers after RING_TIMEOUT_SECONDS, delivers its DISCONNECTED, and refuses another instance as Connect does', async () => {
    // Prepare (the rule's instance filter itself: tests/unit/local/contact-event-delivery.test.ts)
    const contactId = await placeCall();
    const elsewhere = await fetch(`${stack.env.CONNECT_ENDPOINT}/contact/outbound-voice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        InstanceId: '99999999-0000-4000-8000-000000000000',
        ContactFlowId: stack.env.CONNECT_CONTACT_FLOW_ID,
        DestinationPhoneNumber: '+15555550101',
        SourcePhoneNumber: stack.env.CONNECT_SOURCE_PHONE_NUMBER,
      }),
    });

    // Act
    const declined = await placeCall();
    await send(`${stack.url}/_local/phone/${declined}/decline`, { method: 'POST' });
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await stack.alertsSettled();
    const answerLate = await send(`${stack.url}/_local/phone/${contactId}`, { method: 'GET' });

    // Assess
    const reasons = (id: string) =>
      contactEventsReceived()
        .filter((entry) => entry.event.detail.contactId === id)
        .map((entry) => [entry.event.detail.eventType, entry.event.detail.disconnectReason ?? null]);
    expect(reasons(contactId)).toEqual([
      ['INITIATED', null],
      ['DISCONNECTED', 'TELECOM_TIMEOUT'],
    ]);
    expect(reasons(declined)).toEqual([
      ['INITIATED', null],
      ['DISCONNECTED', 'TELECOM_BUSY'],
    ]);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get('x-amzn-errortype')).toContain('ResourceNotFoundException');
    expect(answerLate.status).toBe(409);
    expect(JSON.parse(answerLate.body.toString('utf8'))).toMatchObject({ error: { code: 'CALL_ENDED' } });
  });

  it("refuses a second stack in the same process, whose handlers would share the first one's configuration", async () => {
    // Act + Assess
    await expect(
      startLocalStack({ port: 0, projectRoot, dataDir: path.join(projectRoot, '.data2'), env: { DETECTOR: 'lookoutvision', WAFERWATCH_AUTH: 'off' } }),
    ).rejects.toThrow(/already started in this process/);
  });
});
