import { isInspectionId } from './inspection-keys';

/** Where cameras upload: the server picks every key under it (`incoming/<inspection id>`). */
export const INCOMING_PREFIX = 'incoming/';
/** Where refused camera uploads are kept for review, each with a JSON note of the reason beside it. */
export const REJECTED_PREFIX = 'rejected/';

/** Same rule as the API's station ids (functions/adapters/http/read-inspection-request.ts): safe in S3 metadata and logs. */
export const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Why a camera upload is refused when the key itself is not one the server handed out. */
export const UNEXPECTED_KEY = 'UNEXPECTED_KEY';

/** The S3 key a camera uploads the image for `inspectionId` to. */
export function incomingKey(inspectionId: string): string {
  return `${INCOMING_PREFIX}${inspectionId}`;
}

/** The inspection id an `incoming/` key names, or undefined when the key is not `incoming/<ULID>`. */
export function inspectionIdFromIncomingKey(key: string): string | undefined {
  if (!key.startsWith(INCOMING_PREFIX)) return undefined;
  const rest = key.slice(INCOMING_PREFIX.length);
  return isInspectionId(rest) ? rest : undefined;
}

/**
 * Where a refused `incoming/` object is kept: its name under `rejected/`, flattened to one safe path segment (a
 * key nobody handed out can hold anything; the JSON note beside it keeps the original key).
 */
export function rejectedKey(incoming: string): string {
  const name = incoming.startsWith(INCOMING_PREFIX) ? incoming.slice(INCOMING_PREFIX.length) : incoming;
  return `${REJECTED_PREFIX}${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_'}`;
}
