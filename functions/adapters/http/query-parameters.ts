import type { APIGatewayProxyEvent } from 'aws-lambda';
import { STATION_ID } from '../../core/camera-upload';
import { MalformedRequestError } from '../../core/errors';

/** ISO 8601 date and time with its offset (an instant): `2026-11-26T10:00:00Z`, `2026-11-26T11:00:00.5+01:00`. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** One query parameter's text, or undefined when absent (API Gateway keeps the last of repeated ones). */
export function queryParameter(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, name: string): string | undefined {
  return event.queryStringParameters?.[name] ?? undefined;
}

/** A whole number in [min, max]; the default when absent; 400 naming the parameter otherwise. */
export function wholeNumberParameter(text: string | undefined, name: string, range: { min: number; max: number; default: number }): number {
  if (text === undefined) return range.default;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < range.min || value > range.max) {
    throw new MalformedRequestError(`"${name}" must be a whole number from ${range.min} to ${range.max}.`, name);
  }
  return value;
}

/** One of the allowed words; undefined when absent; 400 naming the parameter otherwise. */
export function choiceParameter<T extends string>(text: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new MalformedRequestError(`"${name}" must be one of ${allowed.join(', ')}.`, name);
  return text as T;
}

/** A station id; undefined when absent; 400 naming the parameter otherwise. */
export function stationParameter(text: string | undefined, name = 'station'): string | undefined {
  if (text === undefined) return undefined;
  if (!STATION_ID.test(text)) {
    throw new MalformedRequestError(`"${name}" must be a station id: 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit.`, name);
  }
  return text;
}

/** An ISO 8601 instant as epoch milliseconds; undefined when absent; 400 naming the parameter otherwise. */
export function instantParameter(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = ISO_INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new MalformedRequestError(`"${name}" must be an ISO 8601 instant with its offset, such as 2026-11-26T10:00:00Z.`, name);
  }
  return ms;
}
