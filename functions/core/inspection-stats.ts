import type { InspectionRecord } from './inspection';
import type { InspectionHistory } from './ports/inspection-history';

/** The windows the stats are asked over, each ending now, with the width of its chart buckets. */
export const STATS_WINDOWS = {
  shift: { hours: 8, bucketMinutes: 30 },
  day: { hours: 24, bucketMinutes: 60 },
  week: { hours: 7 * 24, bucketMinutes: 360 },
} as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;
export const STATS_WINDOW_NAMES = Object.keys(STATS_WINDOWS) as StatsWindow[];

/** At most this many records are read for one answer; a window holding more is answered from the newest, `partial`. */
export const MAX_STATS_RECORDS = 4000;

/** One chart bucket of a station. */
export interface StatsBucket {
  start: string;
  inspections: number;
  anomalies: number;
  calls: number;
}

/** What one station did in the window. */
export interface StationStats {
  stationId: string;
  inspections: number;
  anomalies: number;
  /** Alerts whose ladder rang at least one person. */
  calls: number;
  /** Of those calls, the ones a person acknowledged with a key. */
  acknowledged: number;
  /** Of those calls, the ones whose whole ladder went by without a key. */
  unacknowledged: number;
  /** From the inspection (createdAt) to the key, over the acknowledged calls; null without any. */
  timeToAcknowledgeSeconds: { p50: number | null; p95: number | null };
  buckets: StatsBucket[];
}

export interface InspectionStats {
  window: StatsWindow;
  from: string;
  to: string;
  bucketMinutes: number;
  stations: StationStats[];
  /** True when the window held more than MAX_STATS_RECORDS records: the counts are of the newest of them only. */
  partial: boolean;
}

/** True when the alert's ladder rang someone (a call started), whatever became of it. */
export function rangSomeone(record: InspectionRecord): boolean {
  const alert = record.alert;
  if (!alert) return false;
  if (alert.status === 'placed') return true;
  const attempts = 'attempts' in alert ? alert.attempts : undefined;
  return (attempts ?? []).some((attempt) => attempt.outcome !== 'not-started');
}

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest value at least p % of the values are at
 * or below. Null for no values.
 */
export function nearestRankPercentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/**
 * The stats of a window from its records: per station (the one asked, or every station with a record in the window,
 * sorted by id), what was inspected, found anomalous, called and acknowledged, and the same per bucket. Records
 * outside [from, to] and camera uploads that repeat an earlier inspection's bytes (`duplicateOf`) are not counted.
 */
export function computeInspectionStats(
  records: readonly InspectionRecord[],
  request: { window: StatsWindow; toMs: number; stationId?: string; partial?: boolean },
): InspectionStats {
  const { hours, bucketMinutes } = STATS_WINDOWS[request.window];
  const toMs = request.toMs;
  const fromMs = toMs - hours * 3_600_000;
  const bucketMs = bucketMinutes * 60_000;
  const bucketCount = Math.round((toMs - fromMs) / bucketMs);
  const byStation = new Map<string, { stats: StationStats; waits: number[] }>();
  const stationOf = (stationId: string) => {
    let entry = byStation.get(stationId);
    if (!entry) {
      entry = {
        stats: {
          stationId,
          inspections: 0,
          anomalies: 0,
          calls: 0,
          acknowledged: 0,
          unacknowledged: 0,
          timeToAcknowledgeSeconds: { p50: null, p95: null },
          buckets: Array.from({ length: bucketCount }, (_, index) => ({
            start: new Date(fromMs + index * bucketMs).toISOString(),
            inspections: 0,
            anomalies: 0,
            calls: 0,
          })),
        },
        waits: [],
      };
      byStation.set(stationId, entry);
    }
    return entry;
  };
  if (request.stationId !== undefined) stationOf(request.stationId);

  for (const record of records) {
    if (record.duplicateOf !== undefined) continue;
    if (request.stationId !== undefined && record.stationId !== request.stationId) continue;
    const createdMs = Date.parse(record.createdAt);
    if (!Number.isFinite(createdMs) || createdMs < fromMs || createdMs > toMs) continue;
    const { stats, waits } = stationOf(record.stationId);
    const bucket = stats.buckets[Math.min(bucketCount - 1, Math.floor((createdMs - fromMs) / bucketMs))]!;
    stats.inspections += 1;
    bucket.inspections += 1;
    if (record.status === 'anomalous') {
      stats.anomalies += 1;
      bucket.anomalies += 1;
    }
    if (!rangSomeone(record)) continue;
    stats.calls += 1;
    bucket.calls += 1;
    if (record.alert.status === 'acknowledged') {
      stats.acknowledged += 1;
      const waitMs = Date.parse(record.alert.acknowledgedAt) - createdMs;
      if (Number.isFinite(waitMs)) waits.push(Math.max(0, waitMs) / 1000);
    } else if (record.alert.status === 'unacknowledged') {
      stats.unacknowledged += 1;
    }
  }

  const stations = [...byStation.values()]
    .map(({ stats, waits }) => ({
      ...stats,
      timeToAcknowledgeSeconds: { p50: roundTenth(nearestRankPercentile(waits, 50)), p95: roundTenth(nearestRankPercentile(waits, 95)) },
    }))
    .sort((a, b) => a.stationId.localeCompare(b.stationId));
  return {
    window: request.window,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    bucketMinutes,
    stations,
    partial: request.partial ?? false,
  };
}

/**
 * Read the window's records from the history, page by page, at most `maxRecords` of them (newest first), and compute
 * the stats; `partial` when the window held more.
 */
export async function readInspectionStats(
  history: InspectionHistory,
  request: { window: StatsWindow; now: Date; stationId?: string; maxRecords?: number },
): Promise<InspectionStats> {
  const toMs = request.now.getTime();
  const fromMs = toMs - STATS_WINDOWS[request.window].hours * 3_600_000;
  const maxRecords = request.maxRecords ?? MAX_STATS_RECORDS;
  const filter = { fromMs, toMs, ...(request.stationId !== undefined ? { stationId: request.stationId } : {}) };
  const records: InspectionRecord[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  let partial = false;
  do {
    const page = await history.pageRecords({ limit: maxRecords - records.length, filter, ...(cursor ? { cursor } : {}) });
    records.push(...page.records);
    scanned += page.scanned;
    cursor = page.next;
    if (cursor && (scanned >= maxRecords || records.length >= maxRecords)) partial = true;
  } while (cursor && !partial);
  return computeInspectionStats(records, {
    window: request.window,
    toMs,
    partial,
    ...(request.stationId !== undefined ? { stationId: request.stationId } : {}),
  });
}

function roundTenth(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
