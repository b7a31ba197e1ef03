import { stepEndedUnanswered } from './escalation-ladder';
import type { EscalationStore } from './ports/escalation-store';
import type { CallAttempt, CallAttemptOutcome } from './inspection';
import type { AlertPublisher } from './ports/alert-queue';
import type { DomainLogger } from './ports/domain-logger';
import type { InspectionStore } from './ports/inspection-store';

/** What the product reads of one Amazon Connect contact event (the adapter maps EventBridge's shape to it). */
export interface ContactEventReport {
  eventType: string;
  contactId: string;
  /** When the call was answered (by a person or a machine); absent for a call nobody answered. */
  connectedAt?: string;
  disconnectedAt?: string;
  /** Connect's disconnect reason, e.g. CUSTOMER_DISCONNECT or a TELECOM_* code. */
  disconnectReason?: string;
  /** Connect's answering-machine detection result, when it ran (VOICEMAIL_BEEP, HUMAN_ANSWERED, …). */
  answeringMachineStatus?: string;
}

export interface CallOutcomeDependencies {
  store: InspectionStore;
  ladders: Pick<EscalationStore, 'findContact' | 'recordCallEnded'>;
  /** The alert queue: a step whose calls all ended without a key escalates at once rather than at its timer. */
  queue: AlertPublisher;
  logger: DomainLogger;
  now?: () => Date;
}

/** What one event did. */
export type CallOutcomeResult =
  | { result: 'ignored'; reason: 'not-a-call-outcome' | 'not-our-call' | 'already-reported' }
  | { result: 'answered'; inspectionId: string }
  | { result: 'ended'; inspectionId: string; outcome: CallAttemptOutcome; escalated: boolean };

/**
 * Record what became of one call of a ladder, from Amazon Connect's contact events. An answered call shows as
 * answered; a call that ends is no-answer, busy, voicemail or ended-without-key on the record unless a key
 * acknowledged it. When every call of the step being rung has ended without a key, the next level is asked for at
 * once. Events are at-least-once and unordered: a second DISCONNECTED changes nothing, and a CONNECTED that arrives
 * after its DISCONNECTED does not reopen the call.
 */
export async function recordCallOutcome(deps: CallOutcomeDependencies, event: ContactEventReport): Promise<CallOutcomeResult> {
  if (event.eventType !== 'CONNECTED_TO_SYSTEM' && event.eventType !== 'DISCONNECTED') return { result: 'ignored', reason: 'not-a-call-outcome' };
  const link = await deps.ladders.findContact(event.contactId);
  // Contacts of other flows in the same Connect instance are none of ours.
  if (!link) return { result: 'ignored', reason: 'not-our-call' };

  if (event.eventType === 'CONNECTED_TO_SYSTEM') {
    await updateAttempt(deps, link.inspectionId, event.contactId, (attempt) => (attempt.outcome === 'ringing' ? { ...attempt, outcome: 'answered' } : attempt));
    return { result: 'answered', inspectionId: link.inspectionId };
  }

  const ended = await deps.ladders.recordCallEnded(event.contactId);
  if (!ended.firstReport) return { result: 'ignored', reason: 'already-reported' };
  const outcome = endedOutcome(event);
  const endedAt = event.disconnectedAt ?? (deps.now ?? (() => new Date()))().toISOString();
  await updateAttempt(deps, link.inspectionId, event.contactId, (attempt) =>
    attempt.outcome === 'acknowledged'
      ? { ...attempt, endedAt }
      : { ...attempt, outcome, endedAt, ...(event.disconnectReason ? { reason: event.disconnectReason } : {}) },
  );
  const ladder = ended.ladder;
  const stepOver = ladder?.status === 'ringing' && ladder.step === link.step && ladder.rungStep >= link.step && stepEndedUnanswered(ladder, link.step);
  if (stepOver) {
    await deps.queue.publish({
      kind: 'escalate',
      inspectionId: link.inspectionId,
      stationId: link.stationId,
      fromStep: link.step,
      reason: 'calls-ended',
      queuedAt: endedAt,
    });
  }
  deps.logger.info('A ladder call ended without a key', { inspectionId: link.inspectionId, contactId: event.contactId, outcome, escalated: stepOver });
  return { result: 'ended', inspectionId: link.inspectionId, outcome, escalated: stepOver };
}

/**
 * How a call that ended without a key went: never answered (busy when Connect says so), answered by a machine, or
 * answered by a person who hung up (or was hung up on by the flow) without a valid key.
 */
export function endedOutcome(event: Pick<ContactEventReport, 'connectedAt' | 'disconnectReason' | 'answeringMachineStatus'>): CallAttemptOutcome {
  if (event.answeringMachineStatus?.startsWith('VOICEMAIL') || event.answeringMachineStatus === 'AMD_UNANSWERED') {
    return event.answeringMachineStatus === 'AMD_UNANSWERED' ? 'no-answer' : 'voicemail';
  }
  if (!event.connectedAt) return /BUSY|DECLINE|REJECT/i.test(event.disconnectReason ?? '') ? 'busy' : 'no-answer';
  return 'ended-without-key';
}

async function updateAttempt(
  deps: CallOutcomeDependencies,
  inspectionId: string,
  contactId: string,
  change: (attempt: CallAttempt) => CallAttempt,
): Promise<void> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  await deps.store.updateRecord(inspectionId, (record) => {
    if (!record || !('attempts' in record.alert) || !Array.isArray(record.alert.attempts)) return undefined;
    const attempts = record.alert.attempts;
    const index = attempts.findIndex((attempt) => attempt.contactId === contactId);
    if (index < 0) return undefined;
    const changed = change(attempts[index] as CallAttempt);
    if (changed === attempts[index]) return undefined;
    const next = [...attempts];
    next[index] = changed;
    return { ...record, alert: { ...record.alert, attempts: next }, updatedAt: at };
  });
}
