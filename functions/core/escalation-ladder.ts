import type { CooldownEndMessage } from './ports/alert-queue';
import type { LadderState } from './ports/escalation-store';
import type { Station } from './station-registry';

/** Which steps a ladder runs: levels × loops, each level once per loop, in order. */
export function ladderPosition(step: number, levels: number): { levelIndex: number; loop: number } {
  const perLoop = Math.max(1, levels);
  return { levelIndex: step % perLoop, loop: Math.floor(step / perLoop) + 1 };
}

/** `step:index`, the key a ladder call is known by. */
export function callKeyOf(step: number, index: number): string {
  return `${step}:${index}`;
}

/** True when every call of `step` that was started has ended without a key (and at least one was started). */
export function stepEndedUnanswered(ladder: Pick<LadderState, 'started' | 'ended'>, step: number): boolean {
  const prefix = `${step}:`;
  const started = ladder.started.filter((key) => key.startsWith(prefix));
  return started.length > 0 && started.every((key) => ladder.ended.includes(key));
}

/** SQS delays a message by at most 15 minutes: the longest one timer can wait. */
export const MAX_TIMER_SECONDS = 900;

/** A station's cooldown: its own `cooldownSeconds` from the registry, else the stage-wide one. */
export function stationCooldownMs(station: Pick<Station, 'cooldownSeconds'> | undefined, stageCooldownMs: number): number {
  return station?.cooldownSeconds !== undefined ? station.cooldownSeconds * 1000 : stageCooldownMs;
}

/**
 * The timer for the end of a station's cooldown, due one second past it (so the cooldown has certainly run out when
 * it arrives) and delayed at most MAX_TIMER_SECONDS: place-call waits longer cooldowns out in hops.
 */
export function cooldownEndTimer(stationId: string, dueAtMs: number, at: Date): { message: CooldownEndMessage; delaySeconds: number } {
  const delaySeconds = Math.min(MAX_TIMER_SECONDS, Math.max(0, Math.ceil((dueAtMs - at.getTime()) / 1000) + 1));
  return { message: { kind: 'cooldown-end', stationId, dueAt: new Date(dueAtMs).toISOString(), queuedAt: at.toISOString() }, delaySeconds };
}
