import type { InspectionRecord } from '../inspection';

/** What the inspection pipeline reports as it goes (EMF metrics in production), once per event. */
export interface InspectionEvents {
  /**
   * An inspection's outcome was stored: a verdict or `not-inspected`. `firstForInspection` is false when a verdict
   * finishes an inspection stored earlier (as not-inspected) under the same id, so each inspection is counted once.
   */
  recorded(record: InspectionRecord, firstForInspection: boolean): void;
  /** An anomalous inspection's alert could not be put on the queue: nobody will be called unless it is sent again. */
  alertNotQueued(record: InspectionRecord): void;
  /** An anomaly was folded into its station's recent call (told when the cooldown ends, or by the next call). */
  alertFolded?(record: InspectionRecord): void;
}
