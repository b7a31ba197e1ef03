import type { ConnectContactFlowEvent } from 'aws-lambda';
import { WaferwatchError } from '../../core/errors';
import type { DomainLogger } from '../../core/ports/domain-logger';
import type { InspectionStore } from '../../core/ports/inspection-store';
import type { EscalationStore } from '../../core/ports/escalation-store';
import { DECISION_SPOKEN, recordOperatorDecision, type DecisionKind } from '../../core/record-operator-decision';
import type { FeedbackImages } from '../../core/ports/feedback-images';

/**
 * What the record-decision function answers Amazon Connect. The flow's InvokeLambdaFunction uses
 * ResponseValidation STRING_MAP, so every value is a string and nothing is nested; the flow reads
 * them as `$.External.<name>`.
 */
export type RecordDecisionAnswer =
  | {
      status: 'recorded' | 'already-recorded' | 'conflict';
      /** The decision that stands: keep | scrap | hold. */
      decision: DecisionKind;
      /** The standing decision in words, for the flow to read back. */
      decisionSpoken: string;
      /** The key behind the standing decision: 1 | 2 (no-input only on decisions recorded before ladders). */
      key: string;
    }
  | { status: 'error'; code: string; message: string };

export interface RecordDecisionHandlerDependencies {
  store: InspectionStore;
  /** The escalation ladders the keypress acknowledges (absent: the decision is recorded, no ladder is told). */
  ladders?: Pick<EscalationStore, 'findContact' | 'acknowledge'>;
  /** Where the answer's label keeps the wafer's image for training (absent: no label). */
  feedback?: FeedbackImages;
  logger: DomainLogger;
  now?: () => Date;
}

/**
 * The Lambda handler Amazon Connect invokes from the contact flow. It never throws: Connect needs a
 * flat string map back, and a thrown error would only send the caller down the flow's error branch
 * without saying why, so every failure becomes `{ status: 'error', code, message }` with a stable code.
 */
export function createRecordDecisionHandler(
  resolveDependencies: () => RecordDecisionHandlerDependencies,
): (event: ConnectContactFlowEvent) => Promise<RecordDecisionAnswer> {
  return async (event) => {
    // Read defensively: the event's type is what Connect promises, not what a misconfigured flow or a test console sends.
    const details = field(event, 'Details');
    const contactData = field(details, 'ContactData');
    const report = {
      inspectionId: field(field(contactData, 'Attributes'), 'inspectionId'),
      contactId: field(contactData, 'ContactId'),
      key: field(field(details, 'Parameters'), 'key'),
    };
    let logger: DomainLogger | undefined;
    try {
      const dependencies = resolveDependencies();
      logger = dependencies.logger;
      const { outcome, decision } = await recordOperatorDecision(report, dependencies);
      return { status: outcome, decision: decision.decision, decisionSpoken: DECISION_SPOKEN[decision.decision], key: decision.key };
    } catch (error) {
      if (error instanceof WaferwatchError) {
        logger?.warn('Operator decision refused', { code: error.code, message: error.message, inspectionId: safeId(report.inspectionId) });
        return { status: 'error', code: error.code, message: error.message };
      }
      logger?.error('Operator decision failed', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        inspectionId: safeId(report.inspectionId),
      });
      return { status: 'error', code: 'INTERNAL_ERROR', message: 'The decision could not be recorded.' };
    }
  };
}

/** `value[name]` when value is a plain object, else undefined. */
function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function safeId(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, 64) : undefined;
}
