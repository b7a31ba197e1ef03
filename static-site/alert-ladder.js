// The operator-alert line of a card and of a history row, from the record's `alert`: how the escalation ladder went,
// call by call, in plain words. Kept free of DOM access so it can be unit-tested in Node.
import { decisionWords } from './messages.js';

/** @import { AlertView, CallOutcome, InspectionView, LadderAttempt } from './types.js' */

/**
 * How one call of the ladder went, as an operator says it: words for every outcome the record can hold.
 * @type {Record<CallOutcome, string>}
 */
const OUTCOME_WORDS = {
  ringing: 'ringing',
  answered: 'answered, deciding…',
  acknowledged: 'acknowledged',
  'no-answer': 'no answer',
  busy: 'declined or busy',
  voicemail: 'voicemail answered',
  'ended-without-key': 'hung up without pressing a key',
  'not-started': 'could not be called',
  unconfirmed: 'may have rung (not called again)',
};

/**
 * Alerts still on their way: queued for the place-call function, ringing the escalation ladder, or folded into a
 * station's call that has not been acknowledged yet. A card follows them until they settle.
 * @param {AlertView | undefined} alert
 * @returns {boolean}
 */
export function alertInProgress(alert) {
  return alert?.status === 'queued' || alert?.status === 'ringing' || alert?.status === 'folded';
}

/**
 * The alert line of a card or a history row: the ladder as it went, and the decision when the ladder does not say it.
 * @param {Pick<InspectionView, 'alert' | 'decision'>} record
 * @returns {string}
 */
export function alertLine(record) {
  const text = describeAlert(record.alert);
  return record.decision && record.alert?.status !== 'acknowledged' ? `${text} · operator decided: ${decisionWords(record.decision.decision)}` : text;
}

/**
 * How the operator alert went, in a few words.
 * @param {AlertView | undefined} alert
 * @returns {string}
 */
export function describeAlert(alert) {
  if (!alert) return '—';
  if (alert.status === 'queued') return 'Calling the operator…';
  if (alert.status === 'ringing' || alert.status === 'acknowledged' || alert.status === 'unacknowledged') return describeLadder(alert);
  if (alert.status === 'failed' && attemptsOf(alert).length > 0) return describeLadder(alert);
  if (alert.status === 'placed')
    return (alert.foldedCount ?? 0) > 0 ? `Operator called (told of ${alert.foldedCount} more since the last call)` : 'Operator called';
  if (alert.status === 'folded') return 'No new call: the station was called minutes ago; this wafer is told on its next call';
  if (alert.status === 'failed') return `Call failed: ${alert.reason}`;
  if (alert.status === 'not-queued') return `Call not queued: ${alert.reason}`;
  switch (alert.reason) {
    case 'duplicate':
      return 'No call (the same image as an earlier inspection)';
    case 'not-anomalous':
      return 'No call (normal)';
    case 'below-threshold':
      return 'No call (below threshold)';
    case 'not-inspected':
      return 'No call (not inspected)';
    default:
      return 'No call';
  }
}

/**
 * An escalation ladder as it went, call by call, from the alert's `attempts`: who was rung at each level, how each
 * call ended, and who acknowledged with which decision. E.g. "Ringing level 1 (Line operator) → no answer → ringing
 * level 2 (Shift lead) → acknowledged by Shift lead: scrap". Calls of one level ring together, so they share a step.
 * @param {AlertView | undefined} alert
 * @returns {string}
 */
export function describeLadder(alert) {
  if (!alert) return '—';
  const attempts = attemptsOf(alert);
  /** @type {{ level: number, loop: number, attempts: LadderAttempt[] }[]} */
  const groups = [];
  for (const attempt of attempts) {
    const last = groups.at(-1);
    if (last && last.level === attempt.level && last.loop === attempt.loop) last.attempts.push(attempt);
    else groups.push({ level: attempt.level, loop: attempt.loop, attempts: [attempt] });
  }
  const steps = [];
  for (const group of groups) {
    const names = group.attempts.map((attempt) => attempt.contactName || 'the operator');
    const round = group.loop > 1 ? ` again (round ${group.loop})` : '';
    steps.push(`ringing level ${group.level}${round} (${names.join(', ')})`);
    // Who acknowledged is said once, at the end.
    const ended = group.attempts.filter((attempt) => attempt.outcome !== 'ringing' && attempt.outcome !== 'acknowledged');
    const [only] = ended;
    if (!only) continue;
    steps.push(
      group.attempts.length === 1
        ? outcomeWords(only)
        : ended.map((attempt) => `${attempt.contactName || 'the operator'}: ${outcomeWords(attempt)}`).join(', '),
    );
  }
  if (alert.status === 'acknowledged') {
    const by = alert.acknowledgedBy;
    const via = alert.viaInspectionId && attempts.length === 0 ? ` on the call about inspection ${alert.viaInspectionId}` : '';
    steps.push(`acknowledged by ${by?.contactName || 'the operator'}${via}: ${decisionWords(by?.decision)}`);
  } else if (alert.status === 'unacknowledged') {
    const rounds = Math.max(1, ...attempts.map((attempt) => Number(attempt.loop) || 1));
    steps.push(`nobody acknowledged after ${rounds === 1 ? 'one round' : `${rounds} rounds`} of calls`);
  } else if (alert.status === 'failed') {
    steps.push(`call failed: ${alert.reason}`);
  } else if (alert.status === 'ringing' && steps.length === 0) {
    steps.push(`ringing level ${alert.level ?? 1}`);
  }
  const text = steps.join(' → ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The calls of a ladder so far; none for an alert that has no ladder.
 * @param {AlertView} alert
 * @returns {LadderAttempt[]}
 */
function attemptsOf(alert) {
  return 'attempts' in alert && Array.isArray(alert.attempts) ? alert.attempts : [];
}

/**
 * @param {LadderAttempt} attempt
 * @returns {string}
 */
function outcomeWords(attempt) {
  const words = OUTCOME_WORDS[attempt.outcome] ?? attempt.outcome ?? 'unknown';
  return attempt.outcome === 'not-started' && attempt.reason ? `${words} (${attempt.reason})` : words;
}
