import type { EmulatedApiKey, EmulatedUsagePlan } from '../emulators/api-gateway-emulator';

/**
 * What API Gateway does with a request once the request authorizer returned a `usageIdentifierKey` (API key source
 * AUTHORIZER), for the local stack: the key must exist, be enabled and be in a usage plan of this API stage, and the
 * request is then metered on that plan, per key:
 * - throttling: a token bucket per key, `burstLimit` tokens, refilled at `rateLimit` tokens a second; a request that
 *   finds it empty is refused 429 THROTTLED (and does not count against the quota);
 * - quota: at most `quota.limit` admitted requests per period (DAY: the UTC day; WEEK: the UTC week from Monday;
 *   MONTH: the UTC calendar month), then 429 QUOTA_EXCEEDED until the next period.
 * A key API Gateway does not accept is 403 FORBIDDEN (API Gateway's INVALID_API_KEY gateway response, which the
 * deployed API maps to `FORBIDDEN`). The messages are what the deployed API answers: its INVALID_API_KEY template,
 * and API Gateway's own messages for THROTTLED ("Too Many Requests") and QUOTA_EXCEEDED ("Limit Exceeded").
 *
 * State (buckets, counts) lives in memory: a restarted local stack starts every key with a full bucket and a fresh
 * quota. Not emulated: the quota's `offset`, per-method throttles inside a plan's apiStages, stage and account level
 * throttling (10,000 rps), and API Gateway's "best effort" leniency (it may let a few requests over a limit through).
 */

/** Where the gate reads keys and plans: the API Gateway emulator (local/emulators/api-gateway-emulator.ts) in-process. */
export interface UsagePlanSource {
  findApiKeyByValue(value: string): EmulatedApiKey | undefined;
  usagePlansOfKey(keyId: string): EmulatedUsagePlan[];
}

/** API Gateway's gateway response types for a request refused on its key. */
export type GatewayResponseType = 'INVALID_API_KEY' | 'THROTTLED' | 'QUOTA_EXCEEDED';

export type AdmitResult =
  | { ok: true; keyId: string; usagePlanId: string }
  | {
      ok: false;
      status: 403 | 429;
      /** The code in the API's error shape `{"error": {"code", "message"}}`. */
      code: 'FORBIDDEN' | 'THROTTLED' | 'QUOTA_EXCEEDED';
      message: string;
      gatewayResponseType: GatewayResponseType;
    };

export interface UsagePlanGateOptions {
  source: UsagePlanSource;
  /**
   * The API stage requests arrive on: only a plan naming it meters (and admits) a key, as on API Gateway. Unset, any
   * plan the key is in will do (its first).
   */
  apiStage?: { apiId: string; stage: string };
}

/** The deployed API's INVALID_API_KEY gateway response (resources/api.yml). */
export const INVALID_API_KEY_MESSAGE = 'The request has no valid API key (x-api-key header).';
/** API Gateway's messageString for THROTTLED and QUOTA_EXCEEDED. */
export const THROTTLED_MESSAGE = 'Too Many Requests';
export const QUOTA_EXCEEDED_MESSAGE = 'Limit Exceeded';

interface Meter {
  /** Tokens in the bucket after the last request, and when that was. */
  tokens: number;
  refilledAt: number;
  /** The quota period the count belongs to (its start, ms) and the requests admitted in it. */
  periodStart: number;
  admitted: number;
}

/** The usage plans of the local stack's API, metering each key as API Gateway does. */
export class UsagePlanGate {
  private readonly meters = new Map<string, Meter>();

  constructor(private readonly options: UsagePlanGateOptions) {}

  /** Admit (and count) one request carrying this usage identifier key at `nowMs`, or say why API Gateway would refuse it. */
  admit(keyValue: string, nowMs: number): AdmitResult {
    const key = keyValue ? this.options.source.findApiKeyByValue(keyValue) : undefined;
    const plan = key?.enabled ? this.planOf(key.id) : undefined;
    if (!key || !plan) return refusal(403, 'FORBIDDEN', INVALID_API_KEY_MESSAGE, 'INVALID_API_KEY');

    const meterId = `${key.id}/${plan.id}`;
    const rateLimit = plan.throttle?.rateLimit;
    const burstLimit = plan.throttle?.burstLimit;
    const throttled = rateLimit !== undefined || burstLimit !== undefined;
    const capacity = Math.max(0, burstLimit ?? Math.ceil(rateLimit ?? 0));
    const meter = this.meters.get(meterId) ?? { tokens: capacity, refilledAt: nowMs, periodStart: periodStartOf(plan, nowMs), admitted: 0 };
    this.meters.set(meterId, meter);

    // A new quota period starts with nothing counted.
    const periodStart = periodStartOf(plan, nowMs);
    if (periodStart !== meter.periodStart) {
      meter.periodStart = periodStart;
      meter.admitted = 0;
    }
    const limit = plan.quota?.limit;
    if (limit !== undefined && meter.admitted >= limit) return refusal(429, 'QUOTA_EXCEEDED', QUOTA_EXCEEDED_MESSAGE, 'QUOTA_EXCEEDED');

    if (throttled) {
      const elapsedSeconds = Math.max(0, nowMs - meter.refilledAt) / 1000;
      meter.tokens = Math.min(capacity, meter.tokens + elapsedSeconds * (rateLimit ?? 0));
      meter.refilledAt = Math.max(meter.refilledAt, nowMs);
      if (meter.tokens < 1) return refusal(429, 'THROTTLED', THROTTLED_MESSAGE, 'THROTTLED');
      meter.tokens -= 1;
    }
    meter.admitted += 1;
    return { ok: true, keyId: key.id, usagePlanId: plan.id };
  }

  /** Requests admitted in the current quota period for a key (0 when none yet), for tests and the local page. */
  admittedInPeriod(keyId: string, nowMs: number): number {
    const plan = this.planOf(keyId);
    const meter = plan ? this.meters.get(`${keyId}/${plan.id}`) : undefined;
    return meter && plan && meter.periodStart === periodStartOf(plan, nowMs) ? meter.admitted : 0;
  }

  /** Forget every bucket and count. */
  reset(): void {
    this.meters.clear();
  }

  private planOf(keyId: string): EmulatedUsagePlan | undefined {
    const plans = this.options.source.usagePlansOfKey(keyId);
    const stage = this.options.apiStage;
    if (!stage) return plans[0];
    return plans.find((plan) => plan.apiStages.some((apiStage) => apiStage.apiId === stage.apiId && apiStage.stage === stage.stage));
  }
}

function refusal(
  status: 403 | 429,
  code: 'FORBIDDEN' | 'THROTTLED' | 'QUOTA_EXCEEDED',
  message: string,
  gatewayResponseType: GatewayResponseType,
): AdmitResult {
  return { ok: false, status, code, message, gatewayResponseType };
}

/** The start (ms, UTC) of the quota period `nowMs` falls in: the day, the week from Monday, or the month. */
export function periodStartOf(plan: Pick<EmulatedUsagePlan, 'quota'>, nowMs: number): number {
  const now = new Date(nowMs);
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (plan.quota?.period) {
    case 'WEEK':
      return day - ((now.getUTCDay() + 6) % 7) * 86_400_000;
    case 'MONTH':
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    default:
      return day;
  }
}
