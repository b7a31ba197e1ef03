// Types of messages.js for the unit tests (the page itself is plain JavaScript, served as is).
export interface ApiErrorBody {
  code?: string;
  message?: string;
  [detail: string]: unknown;
}
export function formatBytes(bytes: unknown): string;
export function describeError(error: ApiErrorBody | undefined, status: number, retryAfter: string | null | undefined): string;
export function verdictLabel(status: string): string;
export function describeAlert(alert: { status: string; reason?: string; foldedCount?: number; intoInspectionId?: string } | undefined): string;
export function confidencePercent(detection: { Confidence?: number } | undefined): number | undefined;
