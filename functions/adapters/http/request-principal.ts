import type { APIGatewayProxyEvent } from 'aws-lambda';
import { knownGroups, type Principal } from '../../core/access';

/**
 * The caller API Gateway's authorizer established, read from the proxy event. Two shapes arrive:
 * - the Cognito user pools authorizer (people routes) puts the ID token's claims under `authorizer.claims`; REST APIs
 *   give `cognito:groups` as one string, comma-separated (HTTP APIs bracket it, `[a b]`; both are read);
 * - the request authorizer (functions/handlers/authorize-request.ts, on the routes cameras use too) puts its context
 *   (string values only) directly under `authorizer`: `callerKind`, and `subject`/`name`/`groups` for a person or
 *   `keyId`/`stationId` for a camera. See AUTHORIZER_CONTEXT below, which writes it.
 * Undefined when neither is there: the route answers 401.
 */
export function principalOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Principal | undefined {
  // aws-lambda types the authorizer context as any; it is read as unknown values, each checked.
  const authorizer: unknown = event.requestContext?.authorizer;
  if (!isRecord(authorizer)) return undefined;
  const claims = authorizer.claims;
  if (claims && typeof claims === 'object') {
    const values = claims as Record<string, unknown>;
    const subject = text(values.sub);
    if (!subject) return undefined;
    return {
      kind: 'person',
      subject,
      name: text(values.name) ?? text(values.email) ?? text(values['cognito:username']) ?? subject,
      groups: knownGroups(splitGroups(values['cognito:groups'])),
    };
  }
  if (authorizer.callerKind === 'camera') {
    const keyId = text(authorizer.keyId);
    const stationId = text(authorizer.stationId);
    return keyId && stationId ? { kind: 'camera', keyId, stationId } : undefined;
  }
  if (authorizer.callerKind === 'person') {
    const subject = text(authorizer.subject);
    if (!subject) return undefined;
    return { kind: 'person', subject, name: text(authorizer.name) ?? subject, groups: knownGroups(splitGroups(authorizer.groups)) };
  }
  return undefined;
}

/**
 * The request authorizer's context for a caller: what principalOf reads back. API Gateway passes only string, number
 * and boolean values, so groups travel comma-separated.
 */
export function authorizerContextOf(principal: Principal): Record<string, string> {
  if (principal.kind === 'camera') return { callerKind: 'camera', keyId: principal.keyId, stationId: principal.stationId };
  return { callerKind: 'person', subject: principal.subject, name: principal.name, groups: principal.groups.join(',') };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function splitGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string');
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[,\s]+/)
    .filter((entry) => entry.length > 0);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value : undefined;
}
