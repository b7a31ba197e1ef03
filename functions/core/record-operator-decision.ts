import { InspectionNotFoundError, MalformedRequestError, StorageUnavailableError } from './errors';
import type { InspectionRecord, OperatorDecision } from './inspection';
import { isInspectionId } from './inspection-keys';
import type { DomainLogger, InspectionStore } from './ports';

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

/** The keys the flow reports: a key the operator pressed, or `no-input` when it fell back to the safe default. */
export type DecisionKey = OperatorDecision['key'];

/** One decision report as the contact flow sends it, not yet trusted. */
export interface OperatorDecisionReport {
  inspectionId: unknown;
  contactId: unknown;
  key: unknown;
}

/**
 * `recorded`: this call wrote the decision.
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
  /** The safe default when the operator gave no usable answer (configuration: OPERATOR_DEFAULT_DECISION). */
  defaultDecision: DecisionKind;
  logger: DomainLogger;
  now?: () => Date;
}

const KEY_DECISIONS: Readonly<Record<Exclude<DecisionKey, 'no-input'>, DecisionKind>> = { '1': 'keep', '2': 'scrap' };
// Connect contact ids are UUIDs; allow any short token of that alphabet so emulators and tests fit too.
const CONTACT_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

/**
 * Record the operator's answer on the inspection record. The first decision wins: a repeated report
 * from the same contact returns the stored decision without writing, and a report from a different
 * contact never overwrites it. Throws MalformedRequestError for a report that cannot be trusted,
 * InspectionNotFoundError for an unknown inspection and StorageUnavailableError when the store fails.
 */
export async function recordOperatorDecision(report: OperatorDecisionReport, dependencies: RecordDecisionDependencies): Promise<RecordDecisionResult> {
  const { inspectionId, contactId, key } = validateReport(report);
  const { store, logger } = dependencies;
  const now = dependencies.now ?? (() => new Date());

  const record = await readRecord(store, inspectionId, logger);
  if (!record) throw new InspectionNotFoundError(inspectionId);

  if (record.decision) {
    const outcome: DecisionOutcome = record.decision.contactId === contactId ? 'already-recorded' : 'conflict';
    if (outcome === 'conflict') {
      logger.warn('A decision from another contact was ignored: the first decision stands', {
        inspectionId,
        contactId,
        standingContactId: record.decision.contactId,
        reportedKey: key,
      });
    }
    return { outcome, decision: record.decision };
  }

  const decidedAt = now().toISOString();
  const decision: OperatorDecision = {
    decision: key === 'no-input' ? dependencies.defaultDecision : KEY_DECISIONS[key],
    key,
    contactId,
    decidedAt,
  };
  const updated: InspectionRecord = { ...record, decision, updatedAt: decidedAt };
  try {
    await store.putRecord(updated);
  } catch (error) {
    logger.error('The operator decision could not be stored', { inspectionId, contactId, error: String(error) });
    throw new StorageUnavailableError('The operator decision could not be stored right now.', { inspectionId });
  }
  logger.info('Operator decision recorded', { inspectionId, contactId, decision: decision.decision, key });
  return { outcome: 'recorded', decision };
}

function validateReport(report: OperatorDecisionReport): { inspectionId: string; contactId: string; key: DecisionKey } {
  const { inspectionId, contactId, key } = report;
  if (typeof inspectionId !== 'string' || !isInspectionId(inspectionId)) {
    throw new MalformedRequestError('The contact has no valid inspectionId attribute.');
  }
  if (typeof contactId !== 'string' || !CONTACT_ID_PATTERN.test(contactId)) {
    throw new MalformedRequestError('The contact id is missing or malformed.');
  }
  if (key !== '1' && key !== '2' && key !== 'no-input') {
    throw new MalformedRequestError('The key must be "1", "2" or "no-input".');
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
