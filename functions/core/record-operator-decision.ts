import { InspectionNotFoundError, MalformedRequestError, StorageUnavailableError } from './errors';
import type { EscalationStore } from './ports/escalation-store';
import type { Acknowledgement, AlertOutcome, InspectionRecord, OperatorDecision } from './inspection';
import { isInspectionId } from './inspection-keys';
import type { DomainLogger } from './ports/domain-logger';
import type { InspectionStore } from './ports/inspection-store';
import { labelInspection } from './label-inspection';
import type { FeedbackImages } from './ports/feedback-images';

/** What the operator can decide about a flagged wafer. */
export type DecisionKind = OperatorDecision['decision'];
/** Every decision, in the order the configuration and the flow name them. */
export const DECISION_KINDS: readonly DecisionKind[] = ['keep', 'scrap', 'hold'];

/**
 * How each decision is read out on the call. The contact flow speaks these words (from the
 * record-decision answer, or substituted at deploy time for the safe default), so they live in one table.
 */
export const DECISION_SPOKEN: Readonly<Record<DecisionKind, string>> = {
  keep: 'keep manufacturing',
  scrap: 'scrap the wafer',
  hold: 'hold the wafer for review',
};

/** The keys the flow reports: 1 (keep manufacturing) or 2 (scrap the wafer). Silence is never a decision. */
export type DecisionKey = Exclude<OperatorDecision['key'], 'no-input'>;

/** One decision report as the contact flow sends it, not yet trusted. */
export interface OperatorDecisionReport {
  inspectionId: unknown;
  contactId: unknown;
  key: unknown;
}

/**
 * `recorded`: this call wrote the decision and acknowledged the alert.
 * `already-recorded`: this same contact had already recorded it (a retried invocation); nothing was written.
 * `conflict`: another contact decided first; its decision stands and nothing was written.
 */
export type DecisionOutcome = 'recorded' | 'already-recorded' | 'conflict';

/** The decision that stands on the record after the report, and how it got there. */
export interface RecordDecisionResult {
  outcome: DecisionOutcome;
  decision: OperatorDecision;
}

export interface RecordDecisionDependencies {
  store: InspectionStore;
  /** The escalation ladders: a keypress acknowledges the alert. Absent only for calls placed before ladders existed. */
  ladders?: Pick<EscalationStore, 'findContact' | 'acknowledge'>;
  /** Where labelled images are kept: the operator's answer labels the wafer for training (keep: normal, scrap: a defect). */
  feedback?: FeedbackImages;
  logger: DomainLogger;
  now?: () => Date;
}

const KEY_DECISIONS: Readonly<Record<DecisionKey, 'keep' | 'scrap'>> = { '1': 'keep', '2': 'scrap' };
// Connect contact ids are UUIDs; allow any short token of that alphabet so emulators and tests fit too.
const CONTACT_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

/**
 * Record the operator's answer on the inspection record and acknowledge its alert: the ladder stops, the record says
 * who acknowledged with which key and when, and anomalies folded into the call are acknowledged with it.
 * The first decision wins: a repeated report from the same contact returns the stored decision without writing, and a
 * report from a different contact never overwrites it. Throws MalformedRequestError for a report that cannot be
 * trusted, InspectionNotFoundError for an unknown inspection and StorageUnavailableError when a store fails.
 */
export async function recordOperatorDecision(report: OperatorDecisionReport, dependencies: RecordDecisionDependencies): Promise<RecordDecisionResult> {
  const { inspectionId, contactId, key } = validateReport(report);
  const { store, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());

  const record = await readRecord(store, inspectionId, logger);
  if (!record) throw new InspectionNotFoundError(inspectionId);
  if (record.decision) return standing(record.decision, contactId, key, logger, inspectionId);

  const link = await guarded('The call could not be looked up', inspectionId, logger, () => dependencies.ladders?.findContact(contactId));
  // A call of this inspection's ladder: acknowledge it first, atomically, so two people pressing at once get one winner.
  const ladderCall = link?.inspectionId === inspectionId ? link : undefined;
  const acknowledgement = ladderCall
    ? await guarded('The acknowledgement could not be stored', inspectionId, logger, () => dependencies.ladders!.acknowledge(inspectionId, contactId))
    : undefined;
  if (acknowledgement && !acknowledgement.acknowledged && acknowledgement.byContactId && acknowledgement.byContactId !== contactId) {
    const latest = await readRecord(store, inspectionId, logger);
    if (latest?.decision) return standing(latest.decision, contactId, key, logger, inspectionId);
  }

  const decidedAt = now().toISOString();
  const decision: OperatorDecision = { decision: KEY_DECISIONS[key], key, contactId, decidedAt };
  const acknowledgedBy: Acknowledgement | undefined = ladderCall
    ? { contactName: ladderCall.contactName, contactId, key, decision: KEY_DECISIONS[key], at: decidedAt, level: ladderCall.level, loop: ladderCall.loop }
    : undefined;
  let standingDecision: OperatorDecision = decision;
  const updated = await guarded('The operator decision could not be stored', inspectionId, logger, () =>
    store.updateRecord(inspectionId, (current) => {
      if (!current) return undefined;
      if (current.decision) {
        standingDecision = current.decision;
        return undefined;
      }
      standingDecision = decision;
      return { ...current, decision, ...(acknowledgedBy ? { alert: acknowledgedAlert(current.alert, acknowledgedBy) } : {}), updatedAt: decidedAt };
    }),
  );
  if (!updated) throw new InspectionNotFoundError(inspectionId);
  if (standingDecision !== decision) return standing(standingDecision, contactId, key, logger, inspectionId);

  if (acknowledgement?.acknowledged && acknowledgedBy) {
    await acknowledgeFolded(store, acknowledgement.ladder.foldedInspectionIds, inspectionId, acknowledgedBy, logger);
  }
  if (dependencies.feedback) await labelFromCall(dependencies, dependencies.feedback, inspectionId, decision, acknowledgedBy?.contactName);
  logger.info('Operator decision recorded; the alert is acknowledged', {
    inspectionId,
    contactId,
    decision: decision.decision,
    key,
    ...(acknowledgedBy ? { contactName: acknowledgedBy.contactName, level: acknowledgedBy.level, loop: acknowledgedBy.loop } : {}),
  });
  return { outcome: 'recorded', decision };
}

/**
 * The operator's answer labels the wafer for training: keep manufacturing says it is normal, scrap that it is a defect.
 * A failure is logged, never answered to the call: the decision is recorded whatever becomes of the label.
 */
async function labelFromCall(
  dependencies: RecordDecisionDependencies,
  feedback: FeedbackImages,
  inspectionId: string,
  decision: OperatorDecision,
  contactName: string | undefined,
): Promise<void> {
  if (decision.decision === 'hold') return;
  try {
    await labelInspection(
      { store: dependencies.store, feedback, logger: dependencies.logger, ...(dependencies.now ? { now: dependencies.now } : {}) },
      { inspectionId, verdict: decision.decision === 'keep' ? 'normal' : 'anomalous', source: 'operator-call', by: contactName ?? 'the operator on the call' },
    );
  } catch (error) {
    dependencies.logger.warn("The operator's answer could not label the wafer for training", { inspectionId, error: String(error) });
  }
}

/** The alert after a keypress: acknowledged, with the call that did it marked in the attempts. */
function acknowledgedAlert(alert: AlertOutcome, by: Acknowledgement): AlertOutcome {
  const attempts = 'attempts' in alert && Array.isArray(alert.attempts) ? alert.attempts : [];
  const ladder = alert.status === 'ringing' || alert.status === 'unacknowledged' ? alert : undefined;
  return {
    status: 'acknowledged',
    acknowledgedAt: by.at,
    acknowledgedBy: by,
    ...(ladder ? { startedAt: ladder.startedAt } : {}),
    ...(ladder?.callKind ? { callKind: ladder.callKind } : {}),
    ...(ladder?.foldedCount ? { foldedCount: ladder.foldedCount } : {}),
    ...(ladder?.foldedInspectionIds ? { foldedInspectionIds: ladder.foldedInspectionIds } : {}),
    attempts: attempts.map((attempt) =>
      attempt.contactId === by.contactId ? { ...attempt, outcome: 'acknowledged' as const, key: by.key, acknowledgedAt: by.at } : attempt,
    ),
  };
}

/** The anomalies folded into an acknowledged call are acknowledged with it (each a conditional update of its record). */
async function acknowledgeFolded(
  store: InspectionStore,
  ids: readonly string[],
  viaInspectionId: string,
  by: Acknowledgement,
  logger: DomainLogger,
): Promise<void> {
  const results = await Promise.allSettled(
    ids.map((id) =>
      store.updateRecord(id, (current) => {
        if (!current || (current.alert.status !== 'folded' && current.alert.status !== 'queued')) return undefined;
        const folded = current.alert.status === 'folded' ? current.alert : undefined;
        return {
          ...current,
          alert: { status: 'acknowledged', acknowledgedAt: by.at, acknowledgedBy: by, viaInspectionId, ...(folded ? { startedAt: folded.foldedAt } : {}) },
          updatedAt: by.at,
        };
      }),
    ),
  );
  const failed = results.filter((result) => result.status === 'rejected').length;
  if (failed > 0) logger.warn('Some folded anomalies could not be marked acknowledged', { inspectionId: viaInspectionId, failed, of: ids.length });
}

function standing(decision: OperatorDecision, contactId: string, key: DecisionKey, logger: DomainLogger, inspectionId: string): RecordDecisionResult {
  const outcome: DecisionOutcome = decision.contactId === contactId ? 'already-recorded' : 'conflict';
  if (outcome === 'conflict') {
    logger.warn('A decision from another contact was ignored: the first decision stands', {
      inspectionId,
      contactId,
      standingContactId: decision.contactId,
      reportedKey: key,
    });
  }
  return { outcome, decision };
}

/** Run a store call; any failure becomes StorageUnavailableError (logged), so the flow says the answer was not kept. */
async function guarded<T>(message: string, inspectionId: string, logger: DomainLogger, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    logger.error(message, { inspectionId, error: String(error) });
    throw new StorageUnavailableError(`${message} right now.`, { inspectionId });
  }
}

function validateReport(report: OperatorDecisionReport): { inspectionId: string; contactId: string; key: DecisionKey } {
  const { inspectionId, contactId, key } = report;
  if (typeof inspectionId !== 'string' || !isInspectionId(inspectionId)) {
    throw new MalformedRequestError('The contact has no valid inspectionId attribute.');
  }
  if (typeof contactId !== 'string' || !CONTACT_ID_PATTERN.test(contactId)) {
    throw new MalformedRequestError('The contact id is missing or malformed.');
  }
  if (key !== '1' && key !== '2') {
    // Silence is not a decision: the flow no longer reports a default, and nothing else is a key.
    throw new MalformedRequestError('The key must be "1" or "2".');
  }
  return { inspectionId, contactId, key };
}

async function readRecord(store: InspectionStore, inspectionId: string, logger: DomainLogger): Promise<InspectionRecord | undefined> {
  try {
    return await store.getRecord(inspectionId);
  } catch (error) {
    logger.error('The inspection record could not be read', { inspectionId, error: String(error) });
    throw new StorageUnavailableError('The inspection record could not be read right now.', { inspectionId });
  }
}

/** True when the text names a decision (for parsing configuration). */
export function isDecisionKind(text: unknown): text is DecisionKind {
  return typeof text === 'string' && (DECISION_KINDS as readonly string[]).includes(text);
}
