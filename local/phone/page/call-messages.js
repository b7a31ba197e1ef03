// The simulated phones' words: which rung of the escalation ladder a call is, and how it ended. Kept free of DOM
// access so it can be unit-tested in Node.

/** @import { CallEnd } from './types.js' */

/**
 * Which rung of the ladder a call is, from its contact attributes: "Level 2 · Shift lead" (" · round 2" on a repeat).
 * @param {Record<string, string> | undefined} attributes
 * @returns {string}
 */
export function callLabel(attributes) {
  const level = attributes?.escalationLevel;
  const name = attributes?.contactName || 'Operator';
  const loop = Number(attributes?.escalationLoop);
  const round = Number.isInteger(loop) && loop > 1 ? ` · round ${loop}` : '';
  return level ? `Level ${level} · ${name}${round}` : `${name}${round}`;
}

/**
 * How a call ended, in a few words: no answer, declined, the decision recorded, hung up without a key. Undefined while
 * it rings or is in progress. `decisionWords` is the page's wording of a decision, so the phone says it as the cards do.
 * @param {CallEnd | undefined} call
 * @param {(decision: unknown) => string} decisionWords
 * @returns {string | undefined}
 */
export function describeCallEnd(call, decisionWords) {
  switch (call?.status) {
    case 'no-answer':
      return 'no answer';
    case 'declined':
      return 'declined';
    case 'failed':
      return 'could not be connected';
    case 'completed':
      break;
    default:
      return undefined;
  }
  /** @type {{ status?: unknown, decision?: unknown } | null} */
  const decision = typeof call.decision === 'object' ? /** @type {object | null} */ (call.decision) : null;
  if (decision) {
    if (decision.status === 'recorded' || decision.status === 'already-recorded') return `decided: ${decisionWords(decision.decision)}`;
    if (decision.status === 'conflict') return `already decided on another call: ${decisionWords(decision.decision)}`;
    if (decision.status === 'error') return 'the answer could not be recorded';
  }
  return call.disconnectReason === 'CUSTOMER_DISCONNECT' ? 'hung up without pressing a key' : 'no key pressed';
}
