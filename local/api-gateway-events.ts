import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** API Gateway REST APIs refuse request payloads above 10 MB; the local stack refuses them the same way. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** The parts of an HTTP request the event builder needs, independent of node:http. */
export interface ProxyRequest {
  method: string;
  /** Path and query as received, e.g. `/inspections?limit=5&limit=6`. */
  url: string;
  /** Header name/value pairs in arrival order, names as sent (node's `req.rawHeaders` paired up). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
  sourceIp: string;
}

/** The route that matched, as API Gateway knows it. */
export interface ProxyRouteMatch {
  /** Resource path with `{param}` placeholders, e.g. `/inspections/{id}`. */
  resource: string;
  pathParameters: Record<string, string> | null;
}

export interface ProxyEventOptions {
  binaryMediaTypes: readonly string[];
  stage?: string;
  requestId?: string;
  /** Epoch milliseconds of the request; defaults to now. */
  now?: number;
}

/**
 * True when a Content-Type is one of the API's binary media types, as API Gateway decides it:
 * parameters (`; charset=...`) ignored, case-insensitive, `type/*` and `*\/*` wildcards honoured.
 */
export function isBinaryMediaType(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const [type, subtype] = mediaType.split('/');
  if (!type || !subtype) return false;
  return binaryMediaTypes.some((pattern) => {
    const [patternType, patternSubtype] = pattern.trim().toLowerCase().split('/');
    return (patternType === '*' || patternType === type) && (patternSubtype === '*' || patternSubtype === subtype);
  });
}

/** Pair node's flat `rawHeaders` array into [name, value] tuples. */
export function pairRawHeaders(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) pairs.push([rawHeaders[index]!, rawHeaders[index + 1]!]);
  return pairs;
}

/**
 * Build the Lambda proxy event API Gateway (REST, v1 payload) would send for this request.
 * Headers keep the case they were sent with; single-value maps hold the last value, multi-value maps all of them;
 * query maps are null when there is no query string; the body is base64 with `isBase64Encoded` when its
 * Content-Type is a binary media type, UTF-8 text otherwise, and null when empty.
 */
export function buildProxyEvent(request: ProxyRequest, match: ProxyRouteMatch, options: ProxyEventOptions): APIGatewayProxyEvent {
  const now = options.now ?? Date.now();
  const stage = options.stage ?? 'local';
  const requestId = options.requestId ?? randomUUID();
  const queryIndex = request.url.indexOf('?');
  const path = queryIndex === -1 ? request.url : request.url.slice(0, queryIndex);
  const query = queryIndex === -1 ? '' : request.url.slice(queryIndex + 1);

  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  // API Gateway folds headers differing only in case into the first spelling it saw.
  const spellings = new Map<string, string>();
  for (const [rawName, value] of request.headers) {
    const name = spellings.get(rawName.toLowerCase()) ?? rawName;
    spellings.set(rawName.toLowerCase(), name);
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  const contentType = request.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const binary = isBinaryMediaType(contentType, options.binaryMediaTypes);
  const body = request.body.length === 0 ? null : binary ? request.body.toString('base64') : request.body.toString('utf8');
  const method = request.method.toUpperCase();
  const userAgent = request.headers.find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;

  return {
    resource: match.resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null && binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/${stage}${path}`,
      stage,
      requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: match.resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
    },
  };
}

/** An HTTP response ready to write: status, header pairs (names may repeat) and raw body bytes. */
export interface ProxyHttpResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/**
 * Turn a handler's proxy result into the HTTP response API Gateway would send: `multiValueHeaders` win over
 * `headers` for the same name, and a base64 body (`isBase64Encoded`) is decoded to bytes.
 */
export function proxyResultToHttpResponse(result: APIGatewayProxyResult): ProxyHttpResponse {
  const headers: Array<[string, string]> = [];
  const multiValueNames = new Set<string>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    multiValueNames.add(name.toLowerCase());
    for (const value of values) headers.push([name, String(value)]);
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!multiValueNames.has(name.toLowerCase())) headers.push([name, String(value)]);
  }
  const text = result.body ?? '';
  const body = result.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode: result.statusCode, headers, body };
}

/** A Lambda-like invocation context for one request; the remaining time counts down from the function timeout. */
export function createLambdaContext(functionName: string, requestId: string, timeoutMs: number, region = 'us-east-1'): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('The callback-style Lambda context methods are not supported; return a promise instead.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:waferwatch-local-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/waferwatch-local-${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
