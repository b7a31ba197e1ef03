import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPersonTokenVerifier } from '../../../functions/adapters/identity/person-token-verifier';
import { parseAuthMode } from '../../../local/gateway/auth-mode';
import {
  createLocalGateway,
  GATEWAY_RESPONSES,
  LOCAL_DEMO_PERSON,
  type GatewayRequest,
  type LocalGatewayOptions,
  type RequestAuthorizerHandler,
} from '../../../local/gateway/authorizers';
import { principalOf } from '../../../functions/adapters/http/request-principal';
import { startTestIssuer, type TestIssuer } from '../../helpers/id-tokens';

const WHERE = { region: 'us-east-1', accountId: '000000000000', apiId: 'waferwatchlocal', stage: 'local' };

function request(overrides: Partial<GatewayRequest> = {}, headers: Array<[string, string]> = []): GatewayRequest {
  return {
    method: 'POST',
    url: '/inspections?station=litho-3',
    headers: [['Host', 'localhost:3000'], ...headers],
    sourceIp: '127.0.0.1',
    requestId: 'request-1',
    route: { functionName: 'inspectImage', resource: '/inspections', authorizer: { kind: 'request', functionName: 'authorizeRequest' }, private: true },
    pathParameters: null,
    ...overrides,
  };
}

const allow = (context: Record<string, unknown>, extra: Partial<APIGatewayAuthorizerResult> = {}): APIGatewayAuthorizerResult => ({
  principalId: 'someone',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:waferwatchlocal/local/*' }],
  },
  context: context as APIGatewayAuthorizerResult['context'],
  ...extra,
});

describe('the local gateway in front of a request authorizer', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  function gateway(authorizer: RequestAuthorizerHandler, options: Partial<LocalGatewayOptions> = {}) {
    return createLocalGateway({
      mode: 'on',
      people: createPersonTokenVerifier({ issuer: issuer.issuer, clientId: issuer.clientId }),
      requestAuthorizers: new Map([['authorizeRequest', authorizer]]),
      allowedOrigins: ['http://localhost:3000'],
      ...WHERE,
      ...options,
    });
  }

  it("hands the authorizer API Gateway's REQUEST event: headers, query, path, method ARN, no body", async () => {
    // Prepare
    const seen: APIGatewayRequestAuthorizerEvent[] = [];
    const local = gateway(async (event) => {
      seen.push(event);
      return allow({ callerKind: 'camera', keyId: 'k1', stationId: 'litho-3' }, { usageIdentifierKey: 'key-value' });
    });

    // Act
    const decision = await local.authorize(request({}, [['X-Api-Key', 'key-value']]));

    // Assess
    expect(seen[0]).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:waferwatchlocal/local/POST/inspections',
      resource: '/inspections',
      path: '/inspections',
      httpMethod: 'POST',
      headers: { 'X-Api-Key': 'key-value' },
      queryStringParameters: { station: 'litho-3' },
      requestContext: { apiId: 'waferwatchlocal', stage: 'local', requestId: 'request-1' },
    });
    expect(seen[0]).not.toHaveProperty('body');
    expect(decision).toMatchObject({ allowed: true, authorizer: { callerKind: 'camera', keyId: 'k1', stationId: 'litho-3', principalId: 'someone' } });
    expect(decision.allowed && decision.apiKey).toEqual({ value: 'key-value' });
    expect(principalOf({ requestContext: { authorizer: decision.allowed ? decision.authorizer : null } } as never)).toEqual({
      kind: 'camera',
      keyId: 'k1',
      stationId: 'litho-3',
    });
  });

  it("answers 401 for the authorizer's Unauthorized, 403 for its Deny, 500 for a crash or an unusable answer", async () => {
    // Prepare
    const deny = (): APIGatewayAuthorizerResult => ({
      principalId: 'x',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: '*' }] },
    });
    const cases: Array<[string, RequestAuthorizerHandler, number, string]> = [
      ['Unauthorized', () => Promise.reject(new Error('Unauthorized')), 401, 'UNAUTHENTICATED'],
      ['Deny', async () => deny(), 403, 'FORBIDDEN'],
      [
        'an Allow for another method',
        async () => ({
          ...allow({}),
          policyDocument: {
            ...allow({}).policyDocument,
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:waferwatchlocal/local/GET/*' }],
          },
        }),
        403,
        'FORBIDDEN',
      ],
      ['a crash', () => Promise.reject(new TypeError('boom')), 500, 'AUTHORIZER_FAILURE'],
      ['no policy', async () => ({ principalId: 'x' }) as APIGatewayAuthorizerResult, 500, 'AUTHORIZER_CONFIGURATION_ERROR'],
      ['an object in the context', async () => allow({ nested: { a: 1 } }), 500, 'AUTHORIZER_CONFIGURATION_ERROR'],
    ];

    for (const [name, handler, status, code] of cases) {
      // Act
      const decision = await gateway(handler).authorize(request({}, [['Origin', 'http://localhost:3000']]));

      // Assess
      expect(decision, name).toMatchObject({ allowed: false, status, body: { error: { code } } });
      expect(decision.allowed ? {} : decision.headers, name).toMatchObject({
        'Access-Control-Allow-Origin': 'http://localhost:3000',
        'x-amzn-RequestId': 'request-1',
      });
    }
  });

  it("meters a private route on the key's usage plan: no key for a camera is 403, a person needs none, the plan's refusal is passed on", async () => {
    // Prepare
    const camera = gateway(async () => allow({ callerKind: 'camera', keyId: 'k1', stationId: 'litho-3' }));
    const person = gateway(async () => allow({ callerKind: 'person', subject: 's', name: 'n', groups: 'operator' }));
    const admitted: string[] = [];
    const throttled = gateway(async () => allow({ callerKind: 'camera', keyId: 'k1', stationId: 'litho-3' }, { usageIdentifierKey: 'v' }), {
      admitUsage: (key) => {
        admitted.push(key);
        return { ok: false, status: 429, code: 'THROTTLED', message: 'Too Many Requests' };
      },
    });

    // Act + Assess
    expect(await camera.authorize(request())).toMatchObject({
      allowed: false,
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: GATEWAY_RESPONSES.INVALID_API_KEY.message } },
    });
    expect(await person.authorize(request())).toMatchObject({ allowed: true });
    expect(await throttled.authorize(request())).toMatchObject({
      allowed: false,
      status: 429,
      body: { error: { code: 'THROTTLED', message: 'Too Many Requests' } },
    });
    expect(admitted).toEqual(['v']);
    // A route without `private: true` is not metered.
    expect(await camera.authorize(request({ route: { ...request().route, private: false } }))).toMatchObject({ allowed: true });
  });

  it('verifies the ID token on a Cognito route and passes its claims on as API Gateway REST does (strings, groups comma-separated)', async () => {
    // Prepare
    const local = gateway(() => Promise.reject(new Error('not this one')));
    const cognito = { ...request().route, authorizer: { kind: 'cognito' as const }, private: false };
    const idToken = issuer.idToken({ 'cognito:groups': ['operator', 'engineer'], email: 'olivia@fab.example' });

    // Act
    const allowed = await local.authorize(request({ method: 'GET', url: '/inspections', route: cognito }, [['Authorization', `Bearer ${idToken}`]]));
    const missing = await local.authorize(request({ method: 'GET', url: '/inspections', route: cognito }));
    const expired = await local.authorize(
      request({ method: 'GET', url: '/inspections', route: cognito }, [
        ['Authorization', `Bearer ${issuer.idToken({ exp: Math.floor(Date.now() / 1000) - 60 })}`],
      ]),
    );
    const none = await local.authorize(request({ route: { ...cognito, authorizer: { kind: 'none' } } }));

    // Assess
    expect(allowed).toMatchObject({
      allowed: true,
      authorizer: {
        claims: { sub: 'user-1', 'cognito:groups': 'operator,engineer', email: 'olivia@fab.example', token_use: 'id', 'cognito:username': 'olivia' },
      },
    });
    expect(principalOf({ requestContext: { authorizer: allowed.allowed ? allowed.authorizer : null } } as never)).toEqual({
      kind: 'person',
      subject: 'user-1',
      name: 'Olivia Operator',
      groups: ['operator', 'engineer'],
    });
    expect(missing).toMatchObject({
      allowed: false,
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: GATEWAY_RESPONSES.UNAUTHORIZED.message } },
    });
    expect(expired).toMatchObject({
      allowed: false,
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: GATEWAY_RESPONSES.EXPIRED_TOKEN.message } },
    });
    // A route without an authorizer is refused: every route of the API has one.
    expect(none).toMatchObject({ allowed: false, status: 401 });
  });
});

describe('WAFERWATCH_AUTH', () => {
  it('takes on (the default) and off, and refuses anything else by name', () => {
    // Act + Assess
    expect([undefined, '', 'on', ' ON ', 'off', 'Off'].map(parseAuthMode)).toEqual(['on', 'on', 'on', 'on', 'off', 'off']);
    expect(() => parseAuthMode('yes')).toThrow(
      'WAFERWATCH_AUTH must be "on" (sign-in and camera keys, as deployed; the default) or "off" (no sign-in, for scripts and demos), not "yes".',
    );
  });

  it('off: every request, on every route, is the local demo person of every group, as the request authorizer would describe them', async () => {
    // Prepare
    const local = createLocalGateway({ mode: 'off', allowedOrigins: [], ...WHERE });

    // Act
    const decisions = await Promise.all(
      (['request', 'cognito', 'none'] as const).map((kind) =>
        local.authorize(request({ route: { ...request().route, authorizer: kind === 'request' ? { kind, functionName: 'authorizeRequest' } : { kind } } })),
      ),
    );

    // Assess
    for (const decision of decisions) {
      expect(decision).toEqual({
        allowed: true,
        authorizer: { callerKind: 'person', subject: 'local-demo', name: 'Local demo', groups: 'operator,engineer,admin', principalId: 'local-demo' },
      });
      expect(principalOf({ requestContext: { authorizer: decision.allowed ? decision.authorizer : null } } as never)).toEqual(LOCAL_DEMO_PERSON);
    }
  });
});
