import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../functions/core/errors';
import { confidencePercent, describeAlert, describeError, formatBytes, verdictLabel } from '../../../static-site/messages';

// Every code the API can answer with, plus the local gateway's own; `satisfies` keeps this list in step with errors.ts.
const API_CODES = [
  'MALFORMED_REQUEST',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_IMAGE_TYPE',
  'CORRUPT_IMAGE',
  'IMAGE_DIMENSIONS_OUT_OF_RANGE',
  'INSPECTION_NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'ORIGIN_NOT_ALLOWED',
  'DETECTOR_UNAVAILABLE',
  'ALERT_QUEUE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

describe('describeError', () => {
  it('has its own human message for every API error code, never the generic fallback', () => {
    // Prepare
    const fallback = describeError({ code: 'SOMETHING_NEW', message: 'x' }, 418, null);

    // Act
    const messages = [...API_CODES, 'STORAGE_UNAVAILABLE', 'PAYLOAD_TOO_LARGE'].map((code) => describeError({ code, message: 'server text' }, 400, null));

    // Assess
    expect(fallback).toBe('The upload failed (HTTP 418). x');
    expect(new Set(messages).size).toBe(messages.length);
    for (const message of messages) expect(message).not.toContain('HTTP');
  });

  it('fills in the limits and the saved inspection from the error details', () => {
    // Act
    const tooLarge = describeError({ code: 'IMAGE_TOO_LARGE', maxBytes: 4 * 1024 * 1024 }, 413, null);
    const dimensions = describeError({ code: 'IMAGE_DIMENSIONS_OUT_OF_RANGE', minSide: 64, maxSide: 4096 }, 422, null);
    const unavailable = describeError({ code: 'DETECTOR_UNAVAILABLE', inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }, 503, '30');

    // Assess
    expect(tooLarge).toContain('the limit is 4 MB');
    expect(dimensions).toContain('between 64 and 4096 pixels');
    expect(unavailable).toContain('saved as inspection 01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(unavailable).toContain('about 30 seconds');
  });

  it('explains answers that are not ours: no connection, a missing API key, throttling, gateway timeouts', () => {
    // Act + Assess
    expect(describeError(undefined, 0, null)).toMatch(/could not be reached/);
    expect(describeError(undefined, 403, null)).toMatch(/API key/);
    expect(describeError(undefined, 429, null)).toMatch(/Too many uploads/);
    expect(describeError(undefined, 504, null)).toMatch(/did not answer in time/);
  });
});

describe('page wording', () => {
  it('names verdicts, alerts, confidence and sizes the way the line speaks', () => {
    // Act + Assess
    expect(['normal', 'needs-review', 'anomalous', 'not-inspected'].map(verdictLabel)).toEqual(['Normal', 'Needs review', 'Anomalous', 'Not inspected']);
    expect(describeAlert({ status: 'placed' })).toBe('Operator called');
    expect(describeAlert({ status: 'placed', foldedCount: 3 })).toBe('Operator called (told of 3 more since the last call)');
    expect(describeAlert({ status: 'queued' })).toBe('Calling the operator…');
    expect(describeAlert({ status: 'folded', intoInspectionId: 'x' })).toMatch(/^No new call: the station was called minutes ago/);
    expect(describeAlert({ status: 'not-queued', reason: 'queue down' })).toBe('Call not queued: queue down');
    expect(describeAlert({ status: 'skipped', reason: 'duplicate' })).toBe('No call (the same image as an earlier inspection)');
    expect(describeAlert({ status: 'skipped', reason: 'below-threshold' })).toBe('No call (below threshold)');
    expect(describeAlert({ status: 'failed', reason: 'Amazon Connect throttled the request' })).toBe('Call failed: Amazon Connect throttled the request');
    expect(confidencePercent({ Confidence: 0.876 })).toBe(87);
    expect(confidencePercent({ Confidence: 0.996 })).toBe(99);
    expect(confidencePercent({ Confidence: 1.2 })).toBe(100);
    expect(confidencePercent(undefined)).toBeUndefined();
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(1536)).toBe('2 KB');
  });
});
