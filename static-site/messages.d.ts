// Types of messages.js for the unit tests (the page itself is plain JavaScript, served as is).
export interface ApiErrorBody {
  code?: string;
  message?: string;
  [detail: string]: unknown;
}
export function formatBytes(bytes: unknown): string;
export function describeError(error: ApiErrorBody | undefined, status: number, retryAfter: string | null | undefined): string;
export function verdictLabel(status: string): string;
/** One call of an escalation ladder, as the inspection record keeps it (functions/core/inspection.ts CallAttempt). */
export interface LadderAttempt {
  level: number;
  loop: number;
  contactName: string;
  outcome: string;
  reason?: string;
  key?: string;
  contactId?: string;
}
/** An inspection's alert as the page reads it (functions/core/inspection.ts AlertOutcome). */
export interface AlertView {
  status: string;
  reason?: string;
  foldedCount?: number;
  intoInspectionId?: string;
  level?: number;
  loop?: number;
  attempts?: LadderAttempt[];
  acknowledgedBy?: { contactName: string; decision: string; key?: string };
  viaInspectionId?: string;
}
/** A call as GET /_local/calls lists it. */
export interface LocalCallView {
  status: string;
  attributes?: Record<string, string>;
  decision?: unknown;
  disconnectReason?: string;
}
export function describeAlert(alert: AlertView | undefined): string;
export function describeLadder(alert: AlertView | undefined): string;
export function callLabel(attributes: Record<string, string> | undefined): string;
export function describeCallEnd(call: LocalCallView | undefined): string | undefined;
export function confidencePercent(detection: { Confidence?: number } | undefined): number | undefined;
