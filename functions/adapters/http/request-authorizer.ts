import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { Principal } from '../../core/access';
import type { CameraKeyDirectory } from '../../core/ports/camera-key-directory';
import type { DomainLogger } from '../../core/ports/domain-logger';
import type { PersonTokenVerifier } from '../identity/person-token-verifier';
import { headerValue } from './headers';
import { authorizerContextOf } from './request-principal';

/** What the request authorizer needs. */
export interface RequestAuthorizerDependencies {
  people: PersonTokenVerifier;
  cameraKeys: CameraKeyDirectory;
  /** The people's usage-plan key value; undefined when people are not metered (the local stack). */
  peopleUsageKey?: () => Promise<string>;
  logger: DomainLogger;
}

/**
 * API Gateway's answer for a request without credentials: the authorizer throws exactly this message, which API
 * Gateway turns into 401 (the UNAUTHORIZED gateway response, `UNAUTHENTICATED` in the API's error shape).
 */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * The request authorizer of the routes cameras use as well as people (POST /inspections, POST /uploads,
 * GET /inspections/{id}). API Gateway's Cognito authorizer cannot also accept camera keys, hence this one:
 * - `x-api-key`: a camera. The key must be in the camera key table and active; its station goes into the context,
 *   and its value becomes the usage identifier, so API Gateway meters it on the key's own usage plan (and refuses a
 *   key deleted there). Unknown or revoked: Deny (403).
 * - `Authorization`: a person's ID token, verified (aws-jwt-verify) against the issuer's keys; groups from the token.
 *   Invalid, expired, forged or from another issuer: 401. Signed in without any group: Deny (403).
 * - neither: 401.
 * The route then checks what the caller may do (functions/core/access.ts). Results are not cached (TTL 0): a revoked
 * key stops at its next request.
 */
export function createRequestAuthorizer(resolveDependencies: () => RequestAuthorizerDependencies) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const deps = resolveDependencies();
    const headers = event.headers ?? {};
    const cameraKey = headerValue(headers, 'x-api-key');
    if (cameraKey !== undefined && cameraKey.length > 0) {
      const key = cameraKey.length <= 256 ? await deps.cameraKeys.findByValue(cameraKey) : undefined;
      if (!key || key.state !== 'active') {
        deps.logger.warn('Camera key refused', { keyId: key?.keyId, reason: key ? 'revoked' : 'unknown' });
        return deny(event.methodArn, key ? `camera:${key.keyId}` : 'camera:unknown');
      }
      return allow(event.methodArn, { kind: 'camera', keyId: key.keyId, stationId: key.stationId }, cameraKey);
    }
    const authorization = headerValue(headers, 'authorization');
    if (authorization === undefined) throw new Error(UNAUTHORIZED);
    let person;
    try {
      person = await deps.people.verify(authorization);
    } catch {
      throw new Error(UNAUTHORIZED);
    }
    if (person.groups.length === 0) {
      deps.logger.warn('Signed in without any group', { subject: person.subject });
      return deny(event.methodArn, person.subject);
    }
    return allow(event.methodArn, person, deps.peopleUsageKey ? await deps.peopleUsageKey() : undefined);
  };
}

function allow(methodArn: string, principal: Principal, usageIdentifierKey: string | undefined): APIGatewayAuthorizerResult {
  return {
    principalId: principal.kind === 'camera' ? `camera:${principal.keyId}` : principal.subject,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] },
    context: authorizerContextOf(principal),
    ...(usageIdentifierKey !== undefined ? { usageIdentifierKey } : {}),
  };
}

function deny(methodArn: string, principalId: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }] },
  };
}
