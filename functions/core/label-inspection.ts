import { InspectionNotFoundError, MalformedRequestError, StorageUnavailableError } from './errors';
import { feedbackKey } from './inspection-keys';
import { LABEL_VERDICTS, type InspectionLabel, type InspectionRecord, type LabelVerdict } from './inspection';
import type { DomainLogger } from './ports/domain-logger';
import type { FeedbackImages } from './ports/feedback-images';
import type { InspectionStore } from './ports/inspection-store';

/** What labelling an inspection talks to. */
export interface LabelDependencies {
  store: InspectionStore;
  feedback: FeedbackImages;
  logger: DomainLogger;
  now?: () => Date;
}

/** One label as given: what the wafer is, from whom, how. */
export interface LabelRequest {
  inspectionId: string;
  verdict: LabelVerdict;
  source: InspectionLabel['source'];
  by: string;
  note?: string;
}

export const MAX_LABEL_NOTE_LENGTH = 500;

/**
 * Label an inspection normal or anomalous and keep its image under feedback/<station>/<verdict>/ for training. An
 * engineer's review outranks an operator's answer on the call: an answer never replaces a review, a review replaces
 * anything. Relabelling moves the kept copy (a wafer is in one verdict's folder only). Answers the record as it stands.
 */
export async function labelInspection(deps: LabelDependencies, request: LabelRequest): Promise<InspectionRecord> {
  if (!LABEL_VERDICTS.includes(request.verdict)) throw new MalformedRequestError(`"verdict" must be one of ${LABEL_VERDICTS.join(', ')}.`);
  if (request.note !== undefined && request.note.length > MAX_LABEL_NOTE_LENGTH) {
    throw new MalformedRequestError(`"note" must be at most ${MAX_LABEL_NOTE_LENGTH} characters.`);
  }
  const record = await storage(() => deps.store.getRecord(request.inspectionId));
  if (!record || record.duplicateOf) throw new InspectionNotFoundError(request.inspectionId);
  if (outranked(record.label, request.source)) return record;

  const at = (deps.now ?? (() => new Date()))().toISOString();
  const label: InspectionLabel = {
    verdict: request.verdict,
    source: request.source,
    by: request.by,
    at,
    ...(request.note ? { note: request.note } : {}),
    feedbackKey: feedbackKey(record.stationId, request.verdict, record.inspectionId, record.image.contentType),
  };
  // The copy first: a record that says it is labelled always has its image in the feedback folder.
  await storage(() => deps.feedback.keep(record.image.key, label.feedbackKey));
  let previous: InspectionLabel | undefined;
  const updated = await storage(() =>
    deps.store.updateRecord(request.inspectionId, (current) => {
      if (!current || outranked(current.label, request.source)) return undefined;
      previous = current.label;
      return { ...current, label, updatedAt: at };
    }),
  );
  if (!updated) return (await storage(() => deps.store.getRecord(request.inspectionId))) ?? record;
  if (previous && previous.feedbackKey !== label.feedbackKey) {
    await deps.feedback.forget(previous.feedbackKey).catch((error: unknown) =>
      deps.logger.warn('The earlier feedback copy could not be removed', {
        inspectionId: request.inspectionId,
        key: previous?.feedbackKey,
        error: String(error),
      }),
    );
  }
  deps.logger.info('Inspection labelled for training', { inspectionId: request.inspectionId, verdict: label.verdict, source: label.source });
  return updated;
}

/** An operator's answer never replaces an engineer's review. */
function outranked(current: InspectionLabel | undefined, source: InspectionLabel['source']): boolean {
  return current?.source === 'engineer-review' && source === 'operator-call';
}

async function storage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InspectionNotFoundError) throw error;
    throw new StorageUnavailableError('The label could not be stored right now; try again shortly.');
  }
}
