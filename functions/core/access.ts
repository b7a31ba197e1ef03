import { ForbiddenError, StationNotPermittedError, UnauthenticatedError } from './errors';

/**
 * Who may do what. Two kinds of caller reach the API: people, signed in through the identity provider (Amazon Cognito
 * deployed, the local OIDC provider in `npm start`), whose groups say what they may do; and cameras, each with its own
 * key bound to one station. The API Gateway authorizers establish who the caller is; this module alone decides what
 * that caller may do, so every route asks the same questions the same way.
 */

/** The groups of the user pool, from least to most responsibility for the line. */
export const PERSON_GROUPS = ['operator', 'engineer', 'admin'] as const;
export type PersonGroup = (typeof PERSON_GROUPS)[number];

/** What a route may require of its caller. */
export type Permission =
  /** Send a wafer image (POST /inspections, POST /uploads). */
  | 'inspect'
  /** See inspections, alerts and the station list. */
  | 'view'
  /** Label an inspection normal or defective after looking at it. */
  | 'review'
  /** Change the station registry (ladders, thresholds, models). */
  | 'edit-stations'
  /** Users and camera keys. */
  | 'manage-access';

/** What each group grants. An engineer may do all an operator may; an admin looks after users and camera keys, and may look and upload, but does not judge wafers or edit the lines' ladders. */
const GRANTS: Readonly<Record<PersonGroup, readonly Permission[]>> = {
  operator: ['inspect', 'view'],
  engineer: ['inspect', 'view', 'review', 'edit-stations'],
  admin: ['inspect', 'view', 'manage-access'],
};

/** What a camera key grants: sending images of its own station, and reading back what became of them. */
const CAMERA_GRANTS: readonly Permission[] = ['inspect', 'view'];

/** A signed-in person. `name` is for records and the page ("acknowledged by"), never spoken on a call. */
export interface PersonPrincipal {
  kind: 'person';
  /** The identity provider's stable subject (Cognito `sub`). */
  subject: string;
  name: string;
  groups: readonly PersonGroup[];
}

/** A camera, known by its key; the station comes from the key, never from the request. */
export interface CameraPrincipal {
  kind: 'camera';
  /** The key's id (never its value). */
  keyId: string;
  stationId: string;
}

export type Principal = PersonPrincipal | CameraPrincipal;

/** Only the known group names, each once, in PERSON_GROUPS order; anything else an identity provider sends is ignored. */
export function knownGroups(names: Iterable<string>): PersonGroup[] {
  const given = new Set([...names].map((name) => name.trim()));
  return PERSON_GROUPS.filter((group) => given.has(group));
}

/** True when the caller holds the permission. */
export function mayDo(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'camera') return CAMERA_GRANTS.includes(permission);
  return principal.groups.some((group) => GRANTS[group].includes(permission));
}

/** The caller, or 401 UNAUTHENTICATED when nobody identified themselves. */
export function requireCaller(principal: Principal | undefined): Principal {
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** The caller when they hold the permission; 401 without a caller, 403 FORBIDDEN without the right. */
export function requirePermission(principal: Principal | undefined, permission: Permission): Principal {
  const caller = requireCaller(principal);
  if (!mayDo(caller, permission)) throw new ForbiddenError(permission);
  return caller;
}

/**
 * The station an upload is for. A camera's station is its key's: a request naming another station is refused 403
 * (a leaked key cannot raise alarms on another line), and naming none is the key's own. A person names the station
 * (the registry decides whether it exists).
 */
export function stationForUpload(principal: Principal, requestedStationId: string | undefined): string | undefined {
  if (principal.kind === 'person') return requestedStationId;
  if (requestedStationId !== undefined && requestedStationId !== principal.stationId) {
    throw new StationNotPermittedError(requestedStationId);
  }
  return principal.stationId;
}

/** True when the caller may see an inspection of this station: people with `view` see every station, a camera only its own. */
export function maySeeStation(principal: Principal, stationId: string | undefined): boolean {
  if (!mayDo(principal, 'view')) return false;
  return principal.kind === 'person' || stationId === principal.stationId;
}
