import { describe, expect, it } from 'vitest';
import {
  callKeyOf,
  cooldownEndTimer,
  ladderPosition,
  MAX_TIMER_SECONDS,
  stationCooldownMs,
  stepEndedUnanswered,
} from '../../../functions/core/escalation-ladder';

const AT = new Date('2026-11-26T12:00:00.000Z');

describe('escalation ladder rules', () => {
  it('walks each level once per loop, in order', () => {
    expect([0, 1, 2, 3, 4, 5].map((step) => ladderPosition(step, 3))).toEqual([
      { levelIndex: 0, loop: 1 },
      { levelIndex: 1, loop: 1 },
      { levelIndex: 2, loop: 1 },
      { levelIndex: 0, loop: 2 },
      { levelIndex: 1, loop: 2 },
      { levelIndex: 2, loop: 2 },
    ]);
    expect(callKeyOf(3, 1)).toBe('3:1');
  });

  it('calls a step over only when every call it started ended without a key', () => {
    expect(stepEndedUnanswered({ started: ['1:0', '1:1', '10:0'], ended: ['1:0'] }, 1)).toBe(false);
    expect(stepEndedUnanswered({ started: ['1:0', '1:1', '10:0'], ended: ['1:0', '1:1'] }, 1)).toBe(true);
    expect(stepEndedUnanswered({ started: [], ended: [] }, 0)).toBe(false);
  });

  it("takes a station's own cooldown over the stage's", () => {
    expect(stationCooldownMs({ cooldownSeconds: 600 }, 300_000)).toBe(600_000);
    expect(stationCooldownMs({ cooldownSeconds: 0 }, 300_000)).toBe(0);
    expect(stationCooldownMs({}, 300_000)).toBe(300_000);
    expect(stationCooldownMs(undefined, 300_000)).toBe(300_000);
  });

  it("sets the cooldown's end one second past it, in hops of at most 15 minutes", () => {
    expect(cooldownEndTimer('litho-3', AT.getTime() + 200_000, AT)).toEqual({
      message: { kind: 'cooldown-end', stationId: 'litho-3', dueAt: '2026-11-26T12:03:20.000Z', queuedAt: AT.toISOString() },
      delaySeconds: 201,
    });
    expect(cooldownEndTimer('litho-3', AT.getTime() + 3_600_000, AT).delaySeconds).toBe(MAX_TIMER_SECONDS);
    expect(cooldownEndTimer('litho-3', AT.getTime() - 5_000, AT).delaySeconds).toBe(0);
  });
});
