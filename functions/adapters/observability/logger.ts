import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

/**
 * Phone numbers as they turn up in text: E.164 with or without separators (`+44 7700 900123`, `tel:+1-415-...`)
 * and the international `00` form. Digit runs without either (request ids, account ids, sizes) are left alone.
 */
const PHONE_NUMBER_IN_TEXT = /(?:\+|\b00)[1-9](?:[ ().-]{0,2}\d){6,14}\b/g;

/** Keys whose string values are phone numbers whatever they look like (SDK inputs, config, contact data). */
const PHONE_NUMBER_KEY = /phone|^destination$|^source$|^address$|^msisdn$|^callee$|^caller$/i;

/** Keys whose values are credentials: a camera's API key, a person's token, the usage key handed to API Gateway. */
const SECRET_KEY = /^(?:x-api-key|apikey|api_key|authorization|usageidentifierkey|id_?token|access_?token|refresh_?token|password|value)$/i;

/** `+44 7700 900123` becomes `+*********23`: enough to tell two numbers apart in an incident, not to dial one. */
function maskNumber(number: string): string {
  const all = number.replace(/\D/g, '');
  // 0044... is +44...: the international access prefix is not part of the number.
  const digits = number.trimStart().startsWith('00') ? all.slice(2) : all;
  return `+${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}

/** Mask every phone number in a piece of text (log messages, error messages, SDK messages that echo numbers). */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE_NUMBER_IN_TEXT, (match) => maskNumber(match));
}

/**
 * JSON replacer for log lines: a string under a phone-like key is masked whole, any other string has the phone
 * numbers inside it masked. Applied to every value Powertools serialises, nested objects and errors included.
 */
export function redactLogValue(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  // Credentials never reach a log line, whoever passes them: a camera key is shown once, at creation, and only then.
  if (key && SECRET_KEY.test(key)) return '[redacted]';
  // Under a phone-named key a value with a number's worth of digits is masked whatever its format (07700 900123).
  if (key && PHONE_NUMBER_KEY.test(key) && value.replace(/\D/g, '').length >= 6) return maskNumber(value);
  return maskPhoneNumbers(value);
}

/** The product's structured JSON logger (Powertools), masking phone numbers in every line; one per container. */
export function createLogger(options: ConstructorOptions = {}): Logger {
  return new Logger({ serviceName: 'waferwatch', ...options, jsonReplacerFn: redactLogValue });
}
