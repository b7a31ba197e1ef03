import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestAuthorizer, UNAUTHORIZED } from '../../../functions/adapters/http/request-authorizer';
import { principalOf } from '../../../functions/adapters/http/request-principal';
import { bearerToken, createPersonTokenVerifier } from '../../../functions/adapters/identity/person-token-verifier';
import type { CameraKey, CameraKeyDirectory } from '../../../functions/core/ports/camera-key-directory';
import { MemoryLogger } from '../../fixtures/fakes';
import { newSigningKey, startTestIssuer, type TestIssuer } from '../../helpers/id-tokens';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/inspections';

class FakeCameraKeys implements CameraKeyDirectory {
  constructor(private readonly keys: Record<string, CameraKey>) {}
  async findByValue(value: string) {
    return this.keys[value];
  }
}

function requestEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return { type: 'REQUEST', methodArn: METHOD_ARN, headers, httpMethod: 'POST', path: '/inspections', resource: '/inspections' } as never;
}

let issuer: TestIssuer;
let authorize: ReturnType<typeof createRequestAuthorizer>;

beforeAll(async () => {
  issuer = await startTestIssuer('page-client');
  const deps = {
    people: createPersonTokenVerifier({ issuer: issuer.issuer, clientId: issuer.clientId }),
    cameraKeys: new FakeCameraKeys({
      'camera-key-value-active-000000000001': { keyId: 'k-active', stationId: 'litho-3', state: 'active', createdAt: '2026-11-30T00:00:00Z' },
      'camera-key-value-revoked-00000000002': { keyId: 'k-revoked', stationId: 'litho-3', state: 'revoked', createdAt: '2026-11-30T00:00:00Z' },
    }),
    peopleUsageKey: async () => 'people-usage-key-value',
    logger: new MemoryLogger(),
  };
  authorize = createRequestAuthorizer(() => deps);
});

afterAll(() => issuer.close());

/** The caller a route would see after this authorizer's answer. */
const callerOf = (result: Awaited<ReturnType<typeof authorize>>) => principalOf({ requestContext: { authorizer: result.context ?? null } } as never);
const effectOf = (result: Awaited<ReturnType<typeof authorize>>) => (result.policyDocument.Statement[0] as { Effect: string }).Effect;

describe('the request authorizer (people and cameras on the same routes)', () => {
  it("allows a person's valid ID token, with their groups, metered on the people's usage plan", async () => {
    const result = await authorize(requestEvent({ Authorization: `Bearer ${issuer.idToken({ 'cognito:groups': ['engineer'] })}` }));

    expect(effectOf(result)).toBe('Allow');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Resource: METHOD_ARN });
    expect(result.usageIdentifierKey).toBe('people-usage-key-value');
    expect(callerOf(result)).toEqual({ kind: 'person', subject: 'user-1', name: 'Olivia Operator', groups: ['engineer'] });
  });

  it("allows an active camera key, binds its station and meters it on the key's own plan", async () => {
    const result = await authorize(requestEvent({ 'X-Api-Key': 'camera-key-value-active-000000000001' }));

    expect(effectOf(result)).toBe('Allow');
    expect(result.usageIdentifierKey).toBe('camera-key-value-active-000000000001');
    expect(callerOf(result)).toEqual({ kind: 'camera', keyId: 'k-active', stationId: 'litho-3' });
  });

  it('denies a revoked or unknown camera key (403), without a usage key', async () => {
    for (const value of ['camera-key-value-revoked-00000000002', 'not-a-key', 'x'.repeat(5_000)]) {
      const result = await authorize(requestEvent({ 'x-api-key': value }));
      expect(effectOf(result)).toBe('Deny');
      expect(result.usageIdentifierKey).toBeUndefined();
      expect(result.context).toBeUndefined();
    }
  });

  it('answers 401 (Unauthorized) without credentials, and for tokens expired, forged, from another issuer, for another client or of another use', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      issuer.idToken({ exp: now - 60, iat: now - 3_700 }),
      issuer.idToken({}, newSigningKey('test-key-1')),
      issuer.idToken({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }),
      issuer.idToken({ aud: 'another-client' }),
      issuer.idToken({ token_use: 'access' }),
      `${issuer.idToken().split('.').slice(0, 2).join('.')}.`,
      'not a token',
    ];
    await expect(authorize(requestEvent({}))).rejects.toThrow(UNAUTHORIZED);
    for (const token of tokens) {
      await expect(authorize(requestEvent({ authorization: `Bearer ${token}` }))).rejects.toThrow(UNAUTHORIZED);
    }
  });

  it('denies a signed-in person in none of the groups (403)', async () => {
    const result = await authorize(requestEvent({ Authorization: issuer.idToken({ 'cognito:groups': ['contractors'] }) }));
    expect(effectOf(result)).toBe('Deny');
  });
});

describe('bearerToken', () => {
  it('takes `Bearer <jwt>` or a bare JWT, and nothing else', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('a.b.c')).toBe('a.b.c');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
