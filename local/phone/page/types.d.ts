// What the simulated phones read from the local stack. Only the fields the panel uses; held to the stack's own types
// (local/local-services.ts LocalCallView, local/phone/phone-simulator.ts PhoneSessionView) by
// tests/unit/local/page-types.test.ts.

/** A call as GET /_local/calls lists it, newest first. */
export interface LocalCall {
  contactId: string;
  /** Masked, as the records show numbers. */
  destination: string;
  attributes: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** initiated | answered while it rings or is on; completed | no-answer | declined | failed once it ended. */
  status: string;
  /** record-decision's answer, once the flow invoked it. */
  decision: unknown;
  endedAt?: string;
  disconnectReason?: string;
}

/** How a call ended, as far as its words need it. */
export type CallEnd = Pick<LocalCall, 'status'> & Partial<Pick<LocalCall, 'decision' | 'disconnectReason'>>;

/** The phone's answer for one call: what the operator heard, and whether the flow waits for a key. */
export interface PhoneSession {
  spoken: string[];
  awaiting: 'keypress' | 'done';
  decision: Record<string, string> | null;
}
