import { decodeTime, monotonicFactory } from 'ulid';

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const nextUlid = monotonicFactory();

/** A new inspection id: a ULID, so ids sort by time and never collide within a millisecond. */
export function newInspectionId(now: number = Date.now()): string {
  return nextUlid(now);
}

/** True when the text is a well-formed inspection id (and so safe to build an S3 key from). */
export function isInspectionId(text: string): boolean {
  return ULID_PATTERN.test(text);
}

/** `inspections/YYYY/MM/DD/` of the UTC day the id was minted, read from the ULID's timestamp. */
export function inspectionPrefix(inspectionId: string): string {
  const day = new Date(decodeTime(inspectionId)).toISOString().slice(0, 10).replaceAll('-', '/');
  return `inspections/${day}/`;
}

/** `inspections/` prefix of one UTC day. */
export function dayPrefix(day: Date): string {
  return `inspections/${day.toISOString().slice(0, 10).replaceAll('-', '/')}/`;
}

/** S3 keys of an inspection's image, anomaly mask and record; all server-chosen, derived from the id alone. */
export function inspectionKeys(inspectionId: string, format: 'png' | 'jpeg') {
  const base = `${inspectionPrefix(inspectionId)}${inspectionId}`;
  return {
    image: `${base}.${format === 'png' ? 'png' : 'jpg'}`,
    mask: `${base}.mask.png`,
    record: `${base}.json`,
  };
}

/** Key of the record of an inspection, without knowing its image format. */
export function recordKey(inspectionId: string): string {
  return `${inspectionPrefix(inspectionId)}${inspectionId}.json`;
}

/**
 * Where a labelled image is kept for training: one folder per station and verdict, so `npm run train --
 * --include-feedback` reads a station's normals as a folder. The extension is the image's own.
 */
export function feedbackKey(stationId: string, verdict: 'normal' | 'anomalous', inspectionId: string, contentType: 'image/png' | 'image/jpeg'): string {
  return `feedback/${stationId}/${verdict}/${inspectionId}.${contentType === 'image/png' ? 'png' : 'jpg'}`;
}
