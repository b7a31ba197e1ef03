/**
 * What the detectors that answer in Lookout for Vision's terms share (the Lookout adapter, and the SageMaker adapter
 * for the Marketplace model that answers like Lookout): kept apart from both so neither loads the other's SDK client.
 */

/** A percentage of the image kept within 0–100, rounded to a millionth. */
export function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value * 1e6) / 1e6));
}

/** The Retry-After header (whole seconds) of a failed SDK call's answer, when the service sent one. */
export function retryAfterHeaderSeconds(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const header = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers?.['retry-after'];
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim());
  return undefined;
}
