import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, maskPhoneNumbers, redactLogValue } from '../../../../functions/adapters/observability/logger';

/** Run `write` with a logger at INFO and return the JSON lines it printed. */
function capture(write: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    write(createLogger({ logLevel: 'INFO' }));
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return lines
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Digits of every phone-number-shaped run in a text: none may be a whole number from the test. */
const DIGITS = (text: string) => text.replace(/\D/g, '');

describe('phone numbers never reach the logs', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('masks numbers in messages, nested attributes, phone-named keys and errors, keeping the last two digits', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const error = new Error('Outbound calls to +447700900123 are not allowed');

    // Act
    const [line, errorLine] = capture((logger) => {
      logger.info('Calling +1 415 555 0100 for inspection 01JTESTINSPECTION', {
        call: { DestinationPhoneNumber: '+447700900123', SourcePhoneNumber: '+448081570000', attributes: { note: 'callback 0044 7700 900999' } },
        operatorPhone: '07700 900123',
        contentLength: 4194304,
        requestId: 'c0a8e3b2-0012-4e3f-9a1b-000000000001',
        connectInstanceId: '00000000-0000-4000-8000-000000000000',
        at: '2026-11-26T12:58:33.123+01:00',
      });
      logger.error('The operator call failed', { error });
    });
    const text = JSON.stringify([line, errorLine]);

    // Assess
    for (const number of ['447700900123', '448081570000', '14155550100', '447700900999', '07700900123']) expect(text).not.toContain(number);
    expect(line?.message).toBe('Calling +*********00 for inspection 01JTESTINSPECTION');
    expect(line?.call).toEqual({ DestinationPhoneNumber: '+**********23', SourcePhoneNumber: '+**********00', attributes: { note: 'callback +**********99' } });
    expect(line?.operatorPhone).toBe('+*********23');
    // What is not a phone number is kept as is.
    expect(line).toMatchObject({
      contentLength: 4194304,
      requestId: 'c0a8e3b2-0012-4e3f-9a1b-000000000001',
      connectInstanceId: '00000000-0000-4000-8000-000000000000',
      at: '2026-11-26T12:58:33.123+01:00',
    });
    expect(JSON.stringify(errorLine)).toContain('Outbound calls to +**********23 are not allowed');
  });

  it('masks any E.164 number written with any common separators, wherever it sits in a string', () => {
    const separator = fc.constantFrom('', ' ', '-', '.', ' (', ') ');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 13 }),
        fc.array(separator, { minLength: 14, maxLength: 14 }),
        fc.string({ maxLength: 20 }).map((text) => text.replace(/[\d+]/g, '')),
        fc.string({ maxLength: 20 }).map((text) => text.replace(/[\d+]/g, '')),
        fc.constantFrom('+', '00', 'tel:+'),
        (first, rest, separators, before, after, lead) => {
          // Prepare
          const digits = [first, ...rest];
          const written = digits.map((digit, index) => `${index > 0 ? separators[index] : ''}${digit}`).join('');
          const text = `${before} ${lead}${written} ${after}`;

          // Act
          const masked = maskPhoneNumbers(text);

          // Assess
          expect(DIGITS(masked)).not.toContain(digits.join(''));
          expect(DIGITS(masked).endsWith(digits.slice(-2).join(''))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves numbers, booleans and objects to Powertools and masks whole strings under phone-named keys', () => {
    // Assess
    expect(redactLogValue('DestinationPhoneNumber', '+447700900123')).toBe('+**********23');
    expect(redactLogValue('destination', '447700900123')).toBe('+**********23');
    expect(redactLogValue('destination', 'line-4 packaging')).toBe('line-4 packaging');
    expect(redactLogValue('size', 4194304)).toBe(4194304);
    expect(redactLogValue('ok', true)).toBe(true);
  });
});
