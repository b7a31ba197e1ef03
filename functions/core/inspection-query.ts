import type { AlertStatus, InspectionRecord, InspectionStatus, OperatorDecision } from './inspection';

/**
 * Alerts still waiting for a person: on the queue, ringing a ladder, or gone through the whole ladder with nobody
 * pressing a key. What the page shows first, and what `alert=open` lists.
 */
export const OPEN_ALERT_STATUSES: readonly AlertStatus[] = ['queued', 'ringing', 'unacknowledged'];

/** `open` (any of OPEN_ALERT_STATUSES) or one alert status. */
export type AlertFilter = 'open' | AlertStatus;

/** The operator's decision on the call, or `none` for inspections nobody decided on. */
export type DecisionFilter = OperatorDecision['decision'] | 'none';
export const DECISION_FILTERS: readonly DecisionFilter[] = ['keep', 'scrap', 'hold', 'none'];

/** Which inspections a history listing keeps; every field narrows it, none set keeps all. */
export interface InspectionFilter {
  stationId?: string;
  status?: InspectionStatus;
  decision?: DecisionFilter;
  alert?: AlertFilter;
  /** createdAt at or after this instant (epoch ms). */
  fromMs?: number;
  /** createdAt at or before this instant (epoch ms). */
  toMs?: number;
}

/** True when the record passes every part of the filter. */
export function matchesInspectionFilter(record: InspectionRecord, filter: InspectionFilter): boolean {
  if (filter.stationId !== undefined && record.stationId !== filter.stationId) return false;
  if (filter.status !== undefined && record.status !== filter.status) return false;
  if (filter.decision !== undefined && (record.decision?.decision ?? 'none') !== filter.decision) return false;
  if (filter.alert !== undefined) {
    const status = record.alert?.status;
    if (filter.alert === 'open' ? !OPEN_ALERT_STATUSES.includes(status) : status !== filter.alert) return false;
  }
  if (filter.fromMs !== undefined || filter.toMs !== undefined) {
    const createdMs = Date.parse(record.createdAt);
    if (!Number.isFinite(createdMs)) return false;
    if (filter.fromMs !== undefined && createdMs < filter.fromMs) return false;
    if (filter.toMs !== undefined && createdMs > filter.toMs) return false;
  }
  return true;
}
