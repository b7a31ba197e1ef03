import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import type { PersonPrincipal } from '../../functions/core/access';
import { bearerToken, type PersonTokenVerifier } from '../../functions/adapters/identity/person-token-verifier';
import { authorizerContextOf } from '../../functions/adapters/http/request-principal';
import { buildProxyEvent, createLambdaContext } from '../api-gateway-events';
import type { RouteAuthorizer } from '../serverless-routes';
import type { AuthMode } from './auth-mode';

/** A request authorizer's Lambda handler (serverless.yml's authorizeRequest), as the local gateway invokes it. */
export type RequestAuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

/** A usage plan's answer for one request with a usage key: let through, or API Gateway's refusal (403, 429). */
export type UsageAdmission = { ok: true; keyId?: string } | { ok: false; status: number; code: string; message: string };

/** The usage plans of the local API (local/gateway/usage-plans.ts): the key's plan counts the request, or refuses it. */
export type AdmitUsage = (keyValue: string, nowMs: number) => UsageAdmission;

/**
 * Who every API request is when WAFERWATCH_AUTH=off: a signed-in person of every group, as the request authorizer would
 * describe them (authorizerContextOf). Only the local stack knows this person; the deployed API has no such switch.
 */
export const LOCAL_DEMO_PERSON: PersonPrincipal = { kind: 'person', subject: 'local-demo', name: 'Local demo', groups: ['operator', 'engineer', 'admin'] };

/** The request as the gateway sees it before the body is read: the authorizers never see a body. */
export interface GatewayRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: ReadonlyArray<readonly [string, string]>;
  sourceIp: string;
  requestId: string;
  route: { functionName: string; resource: string; authorizer: RouteAuthorizer; private: boolean };
  pathParameters: Record<string, string> | null;
}

/** Let through with what goes on the proxy event, or refused with API Gateway's answer (the API's JSON error shape). */
export type GatewayDecision =
  | { allowed: true; authorizer: Record<string, unknown>; apiKey?: { value: string; id?: string } }
  | { allowed: false; status: number; body: { error: { code: string; message: string } }; headers: Record<string, string> };

export interface LocalGatewayOptions {
  mode: AuthMode;
  /** The Cognito authorizer's check: the ID token in Authorization (required when `mode` is on). */
  people?: PersonTokenVerifier;
  /** serverless.yml's request authorizer functions by name (required for every route naming one when `mode` is on). */
  requestAuthorizers?: ReadonlyMap<string, RequestAuthorizerHandler>;
  /** The usage plans of `private: true` routes; unset: a usage key is let through unmetered. */
  admitUsage?: AdmitUsage;
  /** Origins a refusal answers CORS for (API Gateway's gateway responses name the site's origin). */
  allowedOrigins: readonly string[];
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
  /** How long a request authorizer may run (its function timeout). Default 10 s. */
  authorizerTimeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** API Gateway's gateway responses, as resources/api.yml shapes them. */
export const GATEWAY_RESPONSES = {
  UNAUTHORIZED: {
    status: 401,
    errorType: 'UnauthorizedException',
    code: 'UNAUTHENTICATED',
    message: 'Sign in (Authorization) or send a camera key (x-api-key).',
  },
  EXPIRED_TOKEN: { status: 401, errorType: 'UnauthorizedException', code: 'UNAUTHENTICATED', message: 'The sign-in has expired; sign in again.' },
  ACCESS_DENIED: { status: 403, errorType: 'AccessDeniedException', code: 'FORBIDDEN', message: 'The caller may not do this.' },
  INVALID_API_KEY: { status: 403, errorType: 'ForbiddenException', code: 'FORBIDDEN', message: 'The request has no valid API key (x-api-key header).' },
  AUTHORIZER_FAILURE: { status: 500, errorType: 'AuthorizerFailureException', code: 'AUTHORIZER_FAILURE', message: 'The authorizer failed.' },
  AUTHORIZER_CONFIGURATION_ERROR: {
    status: 500,
    errorType: 'AuthorizerConfigurationException',
    code: 'AUTHORIZER_CONFIGURATION_ERROR',
    message: 'The authorizer answered something API Gateway cannot use.',
  },
} as const;
type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

/** What the local API gateway does before a route's function runs: its authorizer, then its usage plan. */
export interface LocalGateway {
  authorize(request: GatewayRequest): Promise<GatewayDecision>;
}

/**
 * The local API gateway's access checks, per route as serverless.yml declares it:
 * - COGNITO_USER_POOLS: the ID token in `Authorization` verified by createPersonTokenVerifier (the same code as the
 *   deployed request authorizer) against the local identity provider; its claims go on `requestContext.authorizer.claims`
 *   as API Gateway REST puts them (strings; `cognito:groups` comma-separated). No or a bad token: 401.
 * - REQUEST: the route's authorizer function, invoked with API Gateway's REQUEST authorizer event. It throws
 *   `Unauthorized`: 401; its policy denies: 403; it allows: its context (and principalId) on `requestContext.authorizer`.
 *   A `private: true` route then needs a usage key from it (`usageIdentifierKey`), admitted by the key's usage plan
 *   (403 or 429 otherwise); a person without one passes, since people are not metered locally.
 * - none: 401 (every route of the API has an authorizer).
 * With WAFERWATCH_AUTH=off every request is LOCAL_DEMO_PERSON, on every route.
 */
export function createLocalGateway(options: LocalGatewayOptions): LocalGateway {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const timeoutMs = options.authorizerTimeoutMs ?? 10_000;
  if (options.mode === 'on' && !options.people) throw new Error('The local gateway needs the token verifier when WAFERWATCH_AUTH is on.');

  const refusal = (request: GatewayRequest, response: { status: number; errorType: string; code: string; message: string }): GatewayDecision => {
    const origin = headerOf(request.headers, 'origin');
    const allowedOrigin = origin !== undefined && (options.allowedOrigins.includes(origin) || options.allowedOrigins.includes('*'));
    return {
      allowed: false,
      status: response.status,
      body: { error: { code: response.code, message: response.message } },
      headers: {
        'x-amzn-ErrorType': response.errorType,
        'x-amzn-RequestId': request.requestId,
        Vary: 'Origin',
        ...(allowedOrigin ? { 'Access-Control-Allow-Origin': origin } : {}),
      },
    };
  };
  const refuse = (type: GatewayResponseType, request: GatewayRequest) => refusal(request, GATEWAY_RESPONSES[type]);

  async function cognito(request: GatewayRequest): Promise<GatewayDecision> {
    const authorization = headerOf(request.headers, 'authorization');
    if (!authorization) return refuse('UNAUTHORIZED', request);
    try {
      await options.people!.verify(authorization);
    } catch {
      return refuse(isExpired(authorization, now()) ? 'EXPIRED_TOKEN' : 'UNAUTHORIZED', request);
    }
    return { allowed: true, authorizer: { claims: claimsAsApiGatewayGivesThem(payloadOf(authorization)) } };
  }

  async function lambda(request: GatewayRequest, functionName: string): Promise<GatewayDecision> {
    const handler = options.requestAuthorizers?.get(functionName);
    if (!handler) throw new Error(`No request authorizer ${functionName} is loaded (serverless.yml functions.${functionName})`);
    const event = requestAuthorizerEvent(request, options);
    const started = now();
    let result: APIGatewayAuthorizerResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        handler(event, createLambdaContext(functionName, request.requestId, timeoutMs, options.region)),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
      ]);
      if (outcome === 'timeout') {
        log(`${functionName} timed out after ${timeoutMs} ms`);
        return refuse('AUTHORIZER_FAILURE', request);
      }
      result = outcome;
    } catch (error) {
      // The one error API Gateway turns into 401; anything else thrown is the authorizer failing (500).
      if (error instanceof Error && error.message === 'Unauthorized') return refuse('UNAUTHORIZED', request);
      log(`${functionName} threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return refuse('AUTHORIZER_FAILURE', request);
    } finally {
      clearTimeout(timer);
    }
    const checked = checkAuthorizerResult(result);
    if (!checked) {
      log(`${functionName} answered no valid policy: ${JSON.stringify(result)}`);
      return refuse('AUTHORIZER_CONFIGURATION_ERROR', request);
    }
    if (!policyAllows(checked.statements, event.methodArn)) return refuse('ACCESS_DENIED', request);
    const authorizer = { ...checked.context, principalId: checked.principalId, integrationLatency: now() - started };
    if (!request.route.private) return { allowed: true, authorizer };
    const key = result.usageIdentifierKey;
    if (typeof key !== 'string' || key.length === 0) {
      // No usage key for a person: people are not metered locally (deployed, the authorizer hands their plan's key).
      return checked.context.callerKind === 'person' ? { allowed: true, authorizer } : refuse('INVALID_API_KEY', request);
    }
    const admission: UsageAdmission = options.admitUsage?.(key, now()) ?? { ok: true };
    if (!admission.ok) {
      const errorType = admission.status === 429 ? 'TooManyRequestsException' : 'ForbiddenException';
      return refusal(request, { status: admission.status, errorType, code: admission.code, message: admission.message });
    }
    return { allowed: true, authorizer, apiKey: { value: key, ...(admission.keyId ? { id: admission.keyId } : {}) } };
  }

  return {
    async authorize(request) {
      if (options.mode === 'off') return { allowed: true, authorizer: { ...authorizerContextOf(LOCAL_DEMO_PERSON), principalId: LOCAL_DEMO_PERSON.subject } };
      const authorizer = request.route.authorizer;
      if (authorizer.kind === 'cognito') return cognito(request);
      if (authorizer.kind === 'request') return lambda(request, authorizer.functionName);
      return refuse('UNAUTHORIZED', request);
    },
  };
}

/** The REQUEST authorizer event API Gateway (REST) sends for this request: the proxy event's parts, no body. */
export function requestAuthorizerEvent(
  request: GatewayRequest,
  where: { region: string; accountId: string; apiId: string; stage: string },
): APIGatewayRequestAuthorizerEvent {
  const proxy = buildProxyEvent(
    { method: request.method, url: request.url, headers: request.headers, body: Buffer.alloc(0), sourceIp: request.sourceIp },
    { resource: request.route.resource, pathParameters: request.pathParameters },
    { binaryMediaTypes: [], stage: where.stage, requestId: request.requestId },
  );
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${where.region}:${where.accountId}:${where.apiId}/${where.stage}/${proxy.httpMethod}${proxy.path}`,
    resource: proxy.resource,
    path: proxy.path,
    httpMethod: proxy.httpMethod,
    headers: proxy.headers,
    multiValueHeaders: proxy.multiValueHeaders,
    queryStringParameters: proxy.queryStringParameters,
    multiValueQueryStringParameters: proxy.multiValueQueryStringParameters,
    pathParameters: proxy.pathParameters,
    stageVariables: proxy.stageVariables,
    requestContext: { ...proxy.requestContext, apiId: where.apiId, accountId: where.accountId },
  } as APIGatewayRequestAuthorizerEvent;
}

interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: string[];
}

/** The parts of an authorizer's answer API Gateway uses, or undefined when it cannot use it (500 then). */
function checkAuthorizerResult(
  result: unknown,
): { principalId: string; statements: PolicyStatement[]; context: Record<string, string | number | boolean> } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context } = result as Partial<APIGatewayAuthorizerResult>;
  if (typeof principalId !== 'string' || typeof policyDocument !== 'object' || policyDocument === null) return undefined;
  const rawStatements: unknown[] = Array.isArray(policyDocument.Statement) ? policyDocument.Statement : [policyDocument.Statement];
  const list = (value: unknown): string[] | undefined =>
    typeof value === 'string' ? [value] : Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? value : undefined;
  const statements: PolicyStatement[] = [];
  for (const raw of rawStatements) {
    if (typeof raw !== 'object' || raw === null) return undefined;
    const statement = raw as Record<string, unknown>;
    const action = list(statement.Action);
    const resource = list(statement.Resource);
    if ((statement.Effect !== 'Allow' && statement.Effect !== 'Deny') || !action || !resource) return undefined;
    statements.push({ Effect: statement.Effect, Action: action, Resource: resource });
  }
  const values: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(context ?? {})) {
    // API Gateway passes only string, number and boolean context values; anything else is a configuration error.
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    values[name] = value;
  }
  return { principalId, statements, context: values };
}

/** IAM's evaluation for one action on one ARN: an explicit Deny wins, then an Allow; nothing matching is a Deny. */
function policyAllows(statements: readonly PolicyStatement[], methodArn: string): boolean {
  const matching = statements.filter(
    (statement) =>
      statement.Action.some((action) => wildcard(action).test('execute-api:Invoke')) &&
      statement.Resource.some((resource) => wildcard(resource).test(methodArn)),
  );
  return !matching.some((statement) => statement.Effect === 'Deny') && matching.some((statement) => statement.Effect === 'Allow');
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/** An already verified token's claims. */
function payloadOf(authorization: string): Record<string, unknown> {
  const token = bearerToken(authorization) ?? '';
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** True when a refused token says it has expired (only to choose API Gateway's EXPIRED_TOKEN answer over UNAUTHORIZED). */
function isExpired(authorization: string, nowMs: number): boolean {
  const exp = payloadOf(authorization).exp;
  return typeof exp === 'number' && exp * 1000 <= nowMs;
}

/** The claims as API Gateway REST's Cognito authorizer hands them on: every value a string, lists comma-separated. */
export function claimsAsApiGatewayGivesThem(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') claims[name] = String(value);
    else if (Array.isArray(value)) claims[name] = value.map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry))).join(',');
    else if (value !== undefined && value !== null) claims[name] = JSON.stringify(value);
  }
  return claims;
}

function headerOf(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  let found: string | undefined;
  for (const [header, value] of headers) if (header.toLowerCase() === name) found = value;
  return found;
}
