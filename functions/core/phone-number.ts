/** E.164: a plus, a country code that does not start with 0, and 8 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{7,14}$/;

/** A country calling code, or a longer leading part of E.164 numbers (e.g. +1415 for one NANP area code). */
export const NUMBER_PREFIX = /^\+[1-9]\d{0,7}$/;

/** True when an E.164 number starts with one of the allowed prefixes (the toll-fraud guard's test). */
export function hasAllowedPrefix(phoneNumber: string, prefixes: readonly string[]): boolean {
  return E164.test(phoneNumber) && prefixes.some((prefix) => NUMBER_PREFIX.test(prefix) && phoneNumber.startsWith(prefix));
}

/**
 * Keep the country code and the last four digits: enough for a person to recognise the phone, not enough to dial it.
 * `+15555550100` → `+1******0100`. Records, logs and the page only ever show numbers through this.
 */
export function maskPhoneNumber(phoneNumber: string): string {
  const match = /^\+(\d{1,3})(\d*)(\d{4})$/.exec(phoneNumber);
  if (!match) return '*'.repeat(Math.max(0, phoneNumber.length - 4)) + phoneNumber.slice(-4);
  // E.164 does not mark where the country code ends; one digit for +1 (NANP) and +7, two otherwise.
  const digits = `${match[1]}${match[2]}${match[3]}`;
  const countryLength = digits.startsWith('1') || digits.startsWith('7') ? 1 : 2;
  return `+${digits.slice(0, countryLength)}${'*'.repeat(digits.length - countryLength - 4)}${digits.slice(-4)}`;
}
