import { describe, expect, it } from 'vitest';
import {
  AlertQueueUnavailableError,
  CorruptImageError,
  DetectorUnavailableError,
  ImageTooLargeError,
  InspectionNotFoundError,
  isRefusal,
  MalformedRequestError,
  StorageUnavailableError,
  UnknownStationError,
  WaferwatchError,
} from '../../../functions/core/errors';

describe('WaferwatchError', () => {
  it('carries a stable code, its kind and a client-safe message, and no transport status', () => {
    // Act
    const error = new ImageTooLargeError(10, 5);

    // Assess
    expect(error).toBeInstanceOf(WaferwatchError);
    expect(error).toMatchObject({ name: 'ImageTooLargeError', code: 'IMAGE_TOO_LARGE', kind: 'refused', details: { maxBytes: 5 } });
    expect(error.message).toBe('The image is 10 bytes; the limit is 5 bytes.');
    expect(error).not.toHaveProperty('statusCode');
  });
});

describe('isRefusal', () => {
  it('is true for what the request caused, false for a dependency that could not answer', () => {
    // Act + Assess
    for (const refused of [new MalformedRequestError('x'), new CorruptImageError('x'), new UnknownStationError(undefined), new InspectionNotFoundError('x')]) {
      expect(isRefusal(refused), refused.code).toBe(true);
    }
    for (const unavailable of [new DetectorUnavailableError('x'), new StorageUnavailableError(), new AlertQueueUnavailableError('x')]) {
      expect(isRefusal(unavailable), unavailable.code).toBe(false);
    }
  });

  it('is false for anything that is not a deliberate error', () => {
    // Act + Assess
    expect(isRefusal(new Error('boom'))).toBe(false);
    expect(isRefusal('text')).toBe(false);
    expect(isRefusal(undefined)).toBe(false);
  });
});
