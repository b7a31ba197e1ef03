import type { ImageClaim } from './alert-state';
import type { InspectionRecord, InspectionStatus } from './inspection';
import type { ValidatedWaferImage } from './wafer-image';

/** Stores wafer images, their anomaly masks and inspection records (S3 in production). */
export interface InspectionStore {
  /** Write the accepted image bytes under `key` with its provenance as metadata. */
  putImage(key: string, image: ValidatedWaferImage, metadata: { inspectionId: string; stationId: string; source: string }): Promise<void>;
  /** Write an anomaly mask PNG under `key`. */
  putMask(key: string, png: Uint8Array): Promise<void>;
  /** Create or replace an inspection record. */
  putRecord(record: InspectionRecord): Promise<void>;
  /** The record for an id, or undefined when there is none. */
  getRecord(inspectionId: string): Promise<InspectionRecord | undefined>;
  /**
   * Read-modify-write one record without losing a concurrent writer's change: `change` gets the current record
   * (undefined when there is none) and returns the record to store, or undefined to leave it as it is. It is called
   * again with the newer record whenever another writer got in between. Resolves with the record that stands after.
   */
  updateRecord(inspectionId: string, change: (current: InspectionRecord | undefined) => InspectionRecord | undefined): Promise<InspectionRecord | undefined>;
  /** Read a stored object's bytes (images and masks), or undefined when missing. */
  getObject(key: string): Promise<Uint8Array | undefined>;
  /** The most recent records, newest first; with a status, only records with that status. */
  listRecentRecords(limit: number, filter?: { status?: InspectionStatus }): Promise<InspectionRecord[]>;
}

/** What the operator is told on the call. Nothing here chooses who is called. */
export interface OperatorAlert {
  inspectionId: string;
  stationId: string;
  /** Confidence in the anomaly verdict as a whole percent (0–100), ready to be spoken. */
  confidencePercent: number;
  /**
   * Anomalies on the same station folded into this call during the station's cooldown since its previous call
   * ("3 more anomalous wafers since the last call"); 0 or absent when none.
   */
  foldedCount?: number;
}

/** The message that asks for an operator call, as it travels on the alert queue (no `kind`: the first kind there was). */
export interface AlertMessage extends OperatorAlert {
  kind?: 'alert';
  /** When the inspection queued it (ISO 8601). */
  queuedAt: string;
  /** The anomalies folded into this call, when the inspection already asked the station's cooldown. */
  foldedInspectionIds?: string[];
}

/**
 * A ladder's timer or a finished step: ring the level after `fromStep` unless the ladder was acknowledged or has moved
 * on. Sent delayed by ACK_TIMEOUT_SECONDS when a step starts ringing, and at once when every call of the step ended.
 */
export interface EscalationMessage {
  kind: 'escalate';
  inspectionId: string;
  stationId: string;
  fromStep: number;
  reason: 'ack-timeout' | 'calls-ended';
  queuedAt: string;
}

/** A station's cooldown ends at `dueAt`: anomalies folded during it and not told since get a call of their own. */
export interface CooldownEndMessage {
  kind: 'cooldown-end';
  stationId: string;
  dueAt: string;
  queuedAt: string;
}

/** Everything that travels on the alert queue to the place-call function. */
export type AlertQueueMessage = AlertMessage | EscalationMessage | CooldownEndMessage;

/** Puts messages on the alert queue (SQS in production), where the place-call function takes them. */
export interface AlertPublisher {
  /**
   * Queue one message, delivered no sooner than `delaySeconds` from now (0 to 900: SQS's per-message delay is the
   * ladder's timer). Rejects when the queue cannot take it (after the SDK's retries).
   */
  publish(message: AlertQueueMessage, delaySeconds?: number): Promise<void>;
}

/** One outbound call of a ladder: the person is chosen by the station registry, never by a request. */
export interface OutboundCall extends OperatorAlert {
  /** The station's spoken name from the registry. */
  stationName: string;
  callKind: 'anomaly' | 'folded';
  /** E.164, from the registry (or OPERATOR_PHONE_NUMBER without one); checked against the allowed prefixes again. */
  destinationPhoneNumber: string;
  contactName: string;
  level: number;
  loop: number;
  /** The call's place in the ladder; with the inspection id it makes the call's idempotency token. */
  step: number;
  index: number;
}

/** Tells people that an alert reached nobody (SNS in production): the ladder ran out, or no call could start. */
export interface AlertNotifier {
  alertNotDelivered(notice: { inspectionId: string; stationId: string; stationName: string; status: 'unacknowledged' | 'failed'; reason: string }): Promise<void>;
}

/** Which inspection first saw an image's bytes (the alert state store, with the claim's lifetime bound in). */
export interface ImageClaims {
  /** Claim `sha256` for `inspectionId`: first seen (or the same inspection asking again), or the first inspection's id. */
  claim(sha256: string, inspectionId: string): Promise<ImageClaim>;
}

/** Places outbound calls (Amazon Connect in production). */
export interface OperatorCaller {
  /**
   * Start one call of a ladder; the same inspection, step and index never start twice while the first call lasts.
   * Resolves with the contact id; rejects with an OperatorCallError (its message is recorded) or any
   * other error (recorded only as a generic failure).
   */
  startCall(call: OutboundCall): Promise<{ contactId: string }>;
}

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

/** The few log calls the domain makes; Powertools Logger satisfies it. */
export interface DomainLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}
