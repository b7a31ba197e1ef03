import { describe, expect, it } from 'vitest';
import {
  buildProxyEvent,
  createLambdaContext,
  isBinaryMediaType,
  pairRawHeaders,
  proxyResultToHttpResponse,
  type ProxyRequest,
} from '../../../local/api-gateway-events';

const BINARY_TYPES = ['image/*', 'application/octet-stream', 'multipart/form-data'];

function request(overrides: Partial<ProxyRequest> = {}): ProxyRequest {
  return { method: 'get', url: '/inspections', headers: [], body: Buffer.alloc(0), sourceIp: '127.0.0.1', ...overrides };
}

describe('isBinaryMediaType', () => {
  it('matches exact types, wildcards and ignores parameters and case', () => {
    // Prepare
    const cases: Array<[string | undefined, boolean]> = [
      ['image/jpeg', true],
      ['IMAGE/PNG', true],
      ['application/octet-stream', true],
      ['multipart/form-data; boundary=----x', true],
      ['application/json', false],
      ['text/plain; charset=utf-8', false],
      ['imagejpeg', false],
      [undefined, false],
    ];

    // Act
    const results = cases.map(([type]) => isBinaryMediaType(type, BINARY_TYPES));

    // Assess
    expect(results).toEqual(cases.map(([, expected]) => expected));
    expect(isBinaryMediaType('text/csv', ['*/*'])).toBe(true);
  });
});

describe('buildProxyEvent', () => {
  it('base64-encodes a body whose Content-Type is a binary media type', () => {
    // Prepare
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x80, 0xfe]);

    // Act
    const event = buildProxyEvent(
      request({ method: 'post', headers: [['Content-Type', 'image/jpeg']], body: bytes }),
      { resource: '/inspections', pathParameters: null },
      { binaryMediaTypes: BINARY_TYPES },
    );

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    expect(event.httpMethod).toBe('POST');
  });

  it('passes a text body as UTF-8 and an empty body as null', () => {
    // Prepare
    const json = '{"station":"Ätzer-3"}';

    // Act
    const textEvent = buildProxyEvent(
      request({ method: 'POST', headers: [['content-type', 'application/json']], body: Buffer.from(json) }),
      { resource: '/inspections', pathParameters: null },
      { binaryMediaTypes: BINARY_TYPES },
    );
    const emptyEvent = buildProxyEvent(
      request({ headers: [['Content-Type', 'image/png']] }),
      { resource: '/inspections', pathParameters: null },
      { binaryMediaTypes: BINARY_TYPES },
    );

    // Assess
    expect(textEvent.isBase64Encoded).toBe(false);
    expect(textEvent.body).toBe(json);
    expect(emptyEvent.body).toBeNull();
    expect(emptyEvent.isBase64Encoded).toBe(false);
  });

  it('keeps every value of repeated headers and query parameters, the last one in the single-value maps', () => {
    // Prepare
    const headers = pairRawHeaders(['X-Station-Id', 'etch-1', 'Accept', 'application/json', 'x-station-id', 'etch-2']);

    // Act
    const event = buildProxyEvent(
      request({ url: '/inspections?limit=5&tag=a&tag=b%20c', headers }),
      { resource: '/inspections', pathParameters: null },
      { binaryMediaTypes: BINARY_TYPES, stage: 'local', requestId: 'req-1', now: 1_700_000_000_000 },
    );

    // Assess
    expect(event.headers).toEqual({ 'X-Station-Id': 'etch-2', Accept: 'application/json' });
    expect(event.multiValueHeaders).toEqual({ 'X-Station-Id': ['etch-1', 'etch-2'], Accept: ['application/json'] });
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'b c' });
    expect(event.multiValueQueryStringParameters).toEqual({ limit: ['5'], tag: ['a', 'b c'] });
    expect(event.path).toBe('/inspections');
    expect(event.requestContext).toMatchObject({
      requestId: 'req-1',
      stage: 'local',
      requestTimeEpoch: 1_700_000_000_000,
      resourcePath: '/inspections',
      path: '/local/inspections',
      identity: { sourceIp: '127.0.0.1' },
    });
  });

  it('sets the query maps to null without a query string and carries path parameters and resource', () => {
    // Act
    const event = buildProxyEvent(
      request({ url: '/inspections/01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
      { resource: '/inspections/{id}', pathParameters: { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } },
      { binaryMediaTypes: BINARY_TYPES },
    );

    // Assess
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.stageVariables).toBeNull();
    expect(event.resource).toBe('/inspections/{id}');
    expect(event.pathParameters).toEqual({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
  });
});

describe('proxyResultToHttpResponse', () => {
  it('decodes a base64 body and lets multi-value headers win over single ones', () => {
    // Prepare
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);

    // Act
    const response = proxyResultToHttpResponse({
      statusCode: 200,
      headers: { 'Content-Type': 'image/png', 'Set-Cookie': 'ignored=1' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });

    // Assess
    expect(response.body).toEqual(bytes);
    expect(response.headers).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['Content-Type', 'image/png'],
    ]);
  });

  it('passes a text body through as UTF-8', () => {
    // Act
    const response = proxyResultToHttpResponse({ statusCode: 404, body: '{"error":{"code":"X"}}' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.body.toString('utf8')).toBe('{"error":{"code":"X"}}');
  });
});

describe('createLambdaContext', () => {
  it('names the function and request and counts the remaining time down from the timeout', () => {
    // Act
    const context = createLambdaContext('inspectImage', 'req-9', 29_000);

    // Assess
    expect(context.functionName).toBe('inspectImage');
    expect(context.awsRequestId).toBe('req-9');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(28_000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(29_000);
  });
});
