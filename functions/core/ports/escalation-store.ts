/**
 * Where an escalation ladder is, kept apart from the inspection record so that each move is one conditional write:
 * two timers, a contact event and a keypress arriving together still move the ladder once.
 */
export interface LadderState {
  inspectionId: string;
  stationId: string;
  status: 'ringing' | 'acknowledged' | 'unacknowledged';
  /** The step being rung: 0 is level 1 of loop 1; step = (loop - 1) × levels + (level - 1). */
  step: number;
  /** The last step whose calls were all started (or refused); a step above it is still being rung. */
  rungStep: number;
  /** `step:index` of every call started (or refused) so far, and of those that ended without a key. */
  started: string[];
  /** The Connect contact id of each call that did start, by `step:index`. */
  startedCalls: Record<string, string>;
  /**
   * `step:index` of every call Connect was asked to place. A key here but not in `started` is a request whose answer
   * never came back (lost, or the function stopped): the call may be ringing, so it is never asked for again.
   */
  dialing: string[];
  ended: string[];
  /** Whether any call of the ladder ever started (a ladder of refusals ends `failed`, not `unacknowledged`). */
  anyCallStarted: boolean;
  /** Anomalies this ladder's calls tell besides its own inspection: acknowledged with it. */
  foldedInspectionIds: string[];
  /** The contact that acknowledged, once acknowledged. */
  acknowledgedByContactId?: string;
}

/** One started call, by Connect contact id: which ladder, step and person it belongs to. */
export interface ContactLink {
  contactId: string;
  inspectionId: string;
  stationId: string;
  step: number;
  /** `step:index`: the call's place in the ladder. */
  callKey: string;
  level: number;
  loop: number;
  contactName: string;
  /** Masked. */
  phone: string;
  startedAt: string;
}

/** What ending a call did: nothing on a repeated report; otherwise the ladder as it stands after. */
export type CallEnded = { firstReport: false } | { firstReport: true; ladder: LadderState | undefined };

/** The ladder half of the alert state (DynamoDB in production): every operation is one conditional write. */
export interface EscalationStore {
  /** Start a ladder at step 0 (ringing) or, when it exists (a retried delivery), answer it as it is. */
  openLadder(inspectionId: string, stationId: string, foldedInspectionIds: readonly string[]): Promise<LadderState>;
  getLadder(inspectionId: string): Promise<LadderState | undefined>;
  /** Move a ringing ladder from `fromStep` to the next step; undefined when it is not ringing at `fromStep` any more. */
  advanceLadder(inspectionId: string, fromStep: number): Promise<LadderState | undefined>;
  /**
   * Forget a ladder none of whose calls ever started (every one refused or capped), so that an alert a person moved
   * back from the dead-letter queue rings from level 1 again. A ladder that rang anyone is kept: false.
   */
  discardUnrungLadder(inspectionId: string): Promise<boolean>;
  /** End a ringing ladder at `atStep` as unacknowledged; false when it moved on, or was acknowledged, meanwhile. */
  giveUpLadder(inspectionId: string, atStep: number): Promise<boolean>;
  /** A call of the ladder started: remember it by contact id (for contact events and the keypress). */
  recordCallStarted(link: ContactLink): Promise<void>;
  /** A call could not be started (refused, capped): it counts as started and ended at once. */
  recordCallNotStarted(inspectionId: string, callKey: string): Promise<void>;
  /**
   * Connect is about to be asked for this call. Written before the request, so a retry after a lost answer knows the
   * call may exist. Connect's ClientToken does not protect that retry: it starts a new contact for a reused token once
   * the first has disconnected.
   */
  recordCallDialing(inspectionId: string, callKey: string): Promise<void>;
  /** Connect certainly did not start the call (it refused or throttled the request): a retry may ask again. */
  clearCallDialing(inspectionId: string, callKey: string): Promise<void>;
  /** Whether the call started is unknown: it counts as started (the step's timer runs), never as ended. */
  recordCallUnconfirmed(inspectionId: string, callKey: string): Promise<void>;
  /** Every call of `step` has been started (or refused); answers the ladder after. */
  markStepRung(inspectionId: string, step: number): Promise<LadderState | undefined>;
  /** The ladder call with this Connect contact id, or undefined when it is not one of ours. */
  findContact(contactId: string): Promise<ContactLink | undefined>;
  /** A call ended without a key (answered and hung up, or never answered); a second report of it changes nothing. */
  recordCallEnded(contactId: string): Promise<CallEnded>;
  /**
   * A person pressed a key on `contactId`: acknowledge the ladder (ringing, or already given up: a late answer still
   * counts). `acknowledged: false` when another contact acknowledged first (`byContactId`), or the ladder is unknown.
   */
  acknowledge(inspectionId: string, contactId: string): Promise<{ acknowledged: true; ladder: LadderState } | { acknowledged: false; byContactId?: string }>;
}
