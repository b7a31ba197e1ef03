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

/**
 * What the alert queue's consumer does besides what Lambda's event source mapping does (SQS in production): delay a
 * message's redelivery (the retry's backoff) and park one that will never ring anyone, with the reason.
 */
export interface AlertQueueControl {
  delayRedelivery(receiptHandle: string, delaySeconds: number): Promise<void>;
  deadLetter(body: string, failure: { code: string; reason: string }): Promise<void>;
}
