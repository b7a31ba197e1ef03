import { describe, expect, it } from 'vitest';
import { ApiGatewayEmulator } from '../../../local/emulators/api-gateway-emulator';
import { INVALID_API_KEY_MESSAGE, periodStartOf, UsagePlanGate } from '../../../local/gateway/usage-plans';

// What API Gateway does with the authorizer's usageIdentifierKey, for the local stack: the key must be known, enabled
// and in a plan of this stage; then a token bucket (rate, burst) and a per-UTC-day quota per key. A fake clock moves time.
const T0 = Date.parse('2026-11-26T12:00:00Z');
const STAGE = { apiId: 'waferwatchlocal', stage: 'local' };

/** The emulator (in-process, never started) with one key in a plan of STAGE. */
function keyInPlan(options: { rateLimit?: number; burstLimit?: number; quota?: number; enabled?: boolean; stage?: { apiId: string; stage: string } } = {}) {
  const emulator = new ApiGatewayEmulator();
  const key = emulator.createApiKey({ name: 'camera', enabled: options.enabled ?? true });
  const plan = emulator.createUsagePlan({
    name: 'camera-plan',
    apiStages: [options.stage ?? STAGE],
    throttle: { rateLimit: options.rateLimit ?? 2, burstLimit: options.burstLimit ?? 5 },
    ...(options.quota !== undefined ? { quota: { limit: options.quota, period: 'DAY' } } : {}),
  });
  emulator.createUsagePlanKey(plan.id, key.id);
  return { emulator, key, plan, gate: new UsagePlanGate({ source: emulator, apiStage: STAGE }) };
}

/** Admit `count` requests at `at`, resolving with how many were admitted and the codes of the refused ones. */
function burst(gate: UsagePlanGate, value: string, count: number, at: number): { admitted: number; refused: string[] } {
  const refused: string[] = [];
  let admitted = 0;
  for (let index = 0; index < count; index += 1) {
    const result = gate.admit(value, at);
    if (result.ok) admitted += 1;
    else refused.push(result.code);
  }
  return { admitted, refused };
}

describe('UsagePlanGate: which keys API Gateway accepts', () => {
  it('admits a known, enabled key in a plan of the stage, naming the key and plan', () => {
    // Prepare
    const { key, plan, gate } = keyInPlan();

    // Act
    const result = gate.admit(key.value, T0);

    // Assess
    expect(result).toEqual({ ok: true, keyId: key.id, usagePlanId: plan.id });
  });

  it('refuses 403 FORBIDDEN (INVALID_API_KEY) an unknown value, an empty one, a disabled key, a key in no plan, or in a plan of another stage', () => {
    // Prepare
    const { emulator, key, gate } = keyInPlan();
    const disabled = keyInPlan({ enabled: false });
    const planless = emulator.createApiKey({ name: 'no-plan', enabled: true });
    const elsewhere = keyInPlan({ stage: { apiId: 'waferwatchlocal', stage: 'prod' } });
    const forbidden = { ok: false, status: 403, code: 'FORBIDDEN', message: INVALID_API_KEY_MESSAGE, gatewayResponseType: 'INVALID_API_KEY' };

    // Act
    const results = [
      gate.admit(`${key.value}x`, T0),
      gate.admit('', T0),
      disabled.gate.admit(disabled.key.value, T0),
      gate.admit(planless.value, T0),
      elsewhere.gate.admit(elsewhere.key.value, T0),
    ];

    // Assess
    for (const result of results) expect(result).toEqual(forbidden);
  });

  it('refuses a key from the moment it is disabled or taken out of its plan (what revoke does)', () => {
    // Prepare
    const first = keyInPlan();
    const second = keyInPlan();
    const before = [first.gate.admit(first.key.value, T0).ok, second.gate.admit(second.key.value, T0).ok];

    // Act
    first.emulator.updateApiKey(first.key.id, [{ op: 'replace', path: '/enabled', value: 'false' }]);
    second.emulator.deleteUsagePlanKey(second.plan.id, second.key.id);

    // Assess
    expect(before).toEqual([true, true]);
    expect(first.gate.admit(first.key.value, T0 + 1)).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
    expect(second.gate.admit(second.key.value, T0 + 1)).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
  });
});

describe('UsagePlanGate: throttling (token bucket: burst, then rate)', () => {
  it('admits a burst of burstLimit at once, then 429 THROTTLED "Too Many Requests"', () => {
    // Prepare
    const { key, gate } = keyInPlan({ rateLimit: 2, burstLimit: 5 });

    // Act
    const first = burst(gate, key.value, 5, T0);
    const sixth = gate.admit(key.value, T0);

    // Assess
    expect(first).toEqual({ admitted: 5, refused: [] });
    expect(sixth).toEqual({ ok: false, status: 429, code: 'THROTTLED', message: 'Too Many Requests', gatewayResponseType: 'THROTTLED' });
  });

  it('refills at rateLimit tokens a second, never above burstLimit', () => {
    // Prepare
    const { key, gate } = keyInPlan({ rateLimit: 2, burstLimit: 5 });
    burst(gate, key.value, 5, T0);

    // Act
    const after499ms = gate.admit(key.value, T0 + 499).ok;
    const after500ms = gate.admit(key.value, T0 + 500).ok;
    const after1s = burst(gate, key.value, 2, T0 + 1_000);
    const afterAnHour = burst(gate, key.value, 10, T0 + 3_600_000);

    // Assess
    expect(after499ms).toBe(false);
    expect(after500ms).toBe(true);
    expect(after1s).toEqual({ admitted: 1, refused: ['THROTTLED'] });
    expect(afterAnHour.admitted).toBe(5);
  });

  it('holds a steady rate: over 10 s at 10 requests a second, about rate × 10 + burst are admitted', () => {
    // Prepare
    const { key, gate } = keyInPlan({ rateLimit: 2, burstLimit: 5 });

    // Act
    let admitted = 0;
    for (let at = T0; at < T0 + 10_000; at += 100) if (gate.admit(key.value, at).ok) admitted += 1;

    // Assess: 5 at once, then 2 a second for the remaining 9.9 s
    expect(admitted).toBe(5 + 19);
  });

  it('meters each key on its own: one key spending its burst leaves the other whole', () => {
    // Prepare
    const emulator = new ApiGatewayEmulator();
    const gate = new UsagePlanGate({ source: emulator, apiStage: STAGE });
    const keys = ['a', 'b'].map((name) => {
      const key = emulator.createApiKey({ name, enabled: true });
      const plan = emulator.createUsagePlan({ name: `${name}-plan`, apiStages: [STAGE], throttle: { rateLimit: 1, burstLimit: 3 } });
      emulator.createUsagePlanKey(plan.id, key.id);
      return key;
    });

    // Act
    const leaked = burst(gate, keys[0]!.value, 50, T0);
    const other = burst(gate, keys[1]!.value, 3, T0);

    // Assess
    expect(leaked.admitted).toBe(3);
    expect(other).toEqual({ admitted: 3, refused: [] });
  });
});

describe('UsagePlanGate: the daily quota (per UTC day)', () => {
  it('admits quota requests in a UTC day, then 429 QUOTA_EXCEEDED "Limit Exceeded" until midnight UTC', () => {
    // Prepare
    const { key, gate } = keyInPlan({ rateLimit: 1000, burstLimit: 1000, quota: 3 });
    const lastMsOfDay = Date.parse('2026-11-26T23:59:59.999Z');

    // Act
    const spent = burst(gate, key.value, 3, T0);
    const fourth = gate.admit(key.value, T0 + 60_000);
    const stillToday = gate.admit(key.value, lastMsOfDay);
    const tomorrow = burst(gate, key.value, 4, lastMsOfDay + 1);

    // Assess
    expect(spent).toEqual({ admitted: 3, refused: [] });
    expect(fourth).toEqual({ ok: false, status: 429, code: 'QUOTA_EXCEEDED', message: 'Limit Exceeded', gatewayResponseType: 'QUOTA_EXCEEDED' });
    expect(stillToday.ok).toBe(false);
    expect(tomorrow).toEqual({ admitted: 3, refused: ['QUOTA_EXCEEDED'] });
    expect(gate.admittedInPeriod(key.id, lastMsOfDay + 1)).toBe(3);
  });

  it('counts only admitted requests: throttled ones do not spend the quota', () => {
    // Prepare
    const { key, gate } = keyInPlan({ rateLimit: 1, burstLimit: 1, quota: 2 });

    // Act
    const first = burst(gate, key.value, 10, T0);
    const second = gate.admit(key.value, T0 + 1_000);
    const third = gate.admit(key.value, T0 + 2_000);

    // Assess
    expect(first).toEqual({ admitted: 1, refused: Array(9).fill('THROTTLED') });
    expect(second.ok).toBe(true);
    expect(third).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED' });
  });

  it('periods start at the UTC day, the UTC week from Monday, and the UTC month', () => {
    // Prepare
    const at = Date.parse('2026-11-26T12:34:56Z'); // a Thursday

    // Act
    const day = periodStartOf({ quota: { limit: 1, period: 'DAY' } }, at);
    const week = periodStartOf({ quota: { limit: 1, period: 'WEEK' } }, at);
    const month = periodStartOf({ quota: { limit: 1, period: 'MONTH' } }, at);

    // Assess
    expect(new Date(day).toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(new Date(week).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(month).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});
