import type { LadderState } from './ports/escalation-store';

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
