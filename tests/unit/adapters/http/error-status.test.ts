import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, httpStatusOf } from '../../../../functions/adapters/http/error-status';
import {
  AlertQueueUnavailableError,
  CorruptImageError,
  DetectorUnavailableError,
  ImageDimensionsOutOfRangeError,
  ImageTooLargeError,
  InspectionNotFoundError,
  MalformedRequestError,
  StorageUnavailableError,
  UnknownStationError,
  UnsupportedImageTypeError,
  UploadRejectedError,
  type WaferwatchError,
} from '../../../../functions/core/errors';

/** One of each error the core raises, with the status the API has always answered it with. */
const ANSWERS: Array<[WaferwatchError, number]> = [
  [new MalformedRequestError('bad'), 400],
  [new ImageTooLargeError(10, 5), 413],
  [new UnsupportedImageTypeError(), 415],
  [new CorruptImageError('cut short'), 422],
  [new ImageDimensionsOutOfRangeError(10, 10, 64, 4096), 422],
  [new UnknownStationError('litho-9'), 422],
  [new UploadRejectedError('01ARZ3NDEKTSV4RRFFQ69G5FAV', { code: 'CORRUPT_IMAGE', message: 'x', rejectedAt: '2024-01-01T00:00:00.000Z' }), 422],
  [new InspectionNotFoundError('01ARZ3NDEKTSV4RRFFQ69G5FAV'), 404],
  [new DetectorUnavailableError('down', 3), 503],
  [new StorageUnavailableError(), 503],
  [new AlertQueueUnavailableError('01ARZ3NDEKTSV4RRFFQ69G5FAV'), 503],
];

describe('ERROR_STATUS: the one error-to-HTTP map', () => {
  it('answers each core error with its status', () => {
    for (const [error, status] of ANSWERS) {
      // Act + Assess
      expect(httpStatusOf(error), error.code).toBe(status);
    }
  });

  it('answers a refusal with a 4xx and an unavailable dependency with a 5xx, so the core kind and the status agree', () => {
    for (const [error] of ANSWERS) {
      // Act
      const status = httpStatusOf(error);

      // Assess
      if (error.kind === 'unavailable') expect(status, error.code).toBeGreaterThanOrEqual(500);
      else expect(status, error.code).toBeLessThan(500);
    }
  });

  it('gives every code a status (the gateway and page codes included) and none outside 4xx/5xx', () => {
    // Assess
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
    expect(ERROR_STATUS.INTERNAL_ERROR).toBe(500);
  });
});
