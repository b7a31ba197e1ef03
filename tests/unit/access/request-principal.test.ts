import { describe, expect, it } from 'vitest';
import { authorizerContextOf, principalOf } from '../../../functions/adapters/http/request-principal';

const eventWith = (authorizer: unknown) => ({ requestContext: { authorizer } }) as never;

describe('principalOf: the caller API Gateway established', () => {
  it("reads the Cognito authorizer's claims, groups comma-separated (REST) or bracketed (HTTP API)", () => {
    expect(principalOf(eventWith({ claims: { sub: 'u1', email: 'e@fab.example', 'cognito:groups': 'operator,engineer' } }))).toEqual({
      kind: 'person',
      subject: 'u1',
      name: 'e@fab.example',
      groups: ['operator', 'engineer'],
    });
    expect(principalOf(eventWith({ claims: { sub: 'u2', 'cognito:groups': '[admin operator]' } }))).toMatchObject({ groups: ['operator', 'admin'] });
    expect(principalOf(eventWith({ claims: { sub: 'u3' } }))).toMatchObject({ groups: [] });
  });

  it('reads back what the request authorizer wrote, for a camera and for a person', () => {
    const camera = { kind: 'camera', keyId: 'k1', stationId: 'litho-3' } as const;
    const person = { kind: 'person', subject: 'u1', name: 'Olivia', groups: ['operator'] } as const;
    expect(principalOf(eventWith({ ...authorizerContextOf(camera), principalId: 'camera:k1' }))).toEqual(camera);
    expect(principalOf(eventWith(authorizerContextOf(person)))).toEqual(person);
  });

  it('finds nobody without an authorizer, without a subject, or with a camera context missing its station', () => {
    expect(principalOf({ requestContext: {} } as never)).toBeUndefined();
    expect(principalOf(eventWith(null))).toBeUndefined();
    expect(principalOf(eventWith({ claims: { 'cognito:groups': 'admin' } }))).toBeUndefined();
    expect(principalOf(eventWith({ callerKind: 'camera', keyId: 'k1' }))).toBeUndefined();
    expect(principalOf(eventWith({ callerKind: 'anything', subject: 'x' }))).toBeUndefined();
  });
});
