import type { OperatorAlert } from './alert-queue';

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

/** Places outbound calls (Amazon Connect in production). */
export interface OperatorCaller {
  /**
   * Start one call of a ladder; the same inspection, step and index never start twice while the first call lasts.
   * Resolves with the contact id; rejects with an OperatorCallError (its message is recorded) or any
   * other error (recorded only as a generic failure).
   */
  startCall(call: OutboundCall): Promise<{ contactId: string }>;
}

/** An OperatorCaller failure that says whether trying again later can succeed (throttling, limits, outages). */
export interface RetryableCallFailure {
  retryable: boolean;
  /**
   * True when the request may have reached Connect and started a call whose answer was lost (a broken connection
   * after sending, a time-out, a server error): asking again could ring the person twice. False when Connect refused
   * or throttled it, or it never left (connection refused, name not resolved). Absent: treated as false.
   */
  mayHaveStarted?: boolean;
}
