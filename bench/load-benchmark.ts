/**
 * The pure parts of the load benchmark (`bench/load.ts`): its arguments, which sample and station each upload uses,
 * latency statistics, and the reconciliation of what the stack stored and called against what the client saw.
 * Nothing here does I/O, so tests/unit/bench/load.test.ts runs it in milliseconds.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../detector/evaluation';

/** What one benchmark invocation does. */
export interface LoadOptions {
  uploads: number;
  concurrencies: number[];
  /** Cap on one concurrency run's sending; uploads not started by then are not sent. */
  maxSeconds: number;
  /** A running stack to target instead of starting one in this process. */
  url?: string;
  /** The S3 endpoint of that stack (s3rver), needed to reconcile against its bucket. */
  s3Endpoint?: string;
  bucket: string;
  seed: number;
  /** Stations per run; each run has its own (see stationPrefix), so a station's cooldown never spans two runs. */
  stations: number;
  /**
   * Send the shipped samples byte for byte. By default each upload gets a unique JPEG comment, so each is a
   * different image (sha256) with the same pixels, like wafers off a line; the same bytes again are the same
   * inspection (answered 200 with the first one), so this exercises de-duplication.
   */
  sameBytes: boolean;
  /** How long to wait, after the last upload, for the alert queue to settle every anomalous alert before reconciling. */
  settleSeconds: number;
  /**
   * The stack's STATION_CALL_COOLDOWN_SECONDS. A stack started here is given it (unset: the shell's
   * STATION_CALL_COOLDOWN_SECONDS, else the product default); a `--url` stack is assumed to use it (default 300).
   */
  cooldownSeconds?: number;
  /**
   * The simulated operator answers each call of the benchmark's stations this long after it started ringing, then
   * presses 1 (keep manufacturing), which acknowledges the alert.
   */
  answerAfterMs: number;
  keepData: boolean;
}

/** The local stack's bucket (local/local-services.ts), the default when targeting `--url`. */
export const DEFAULT_BUCKET = 'waferwatch-local-images';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A bad command line; the message says which argument and why. */
export class LoadArgumentError extends Error {}

export const LOAD_USAGE = `npm run bench:load -- [--uploads 500] [--concurrency 1,8,32] [--max-seconds 300]
    [--url http://localhost:3000 --s3-endpoint http://localhost:PORT [--bucket ${DEFAULT_BUCKET}]]
    [--seed 1] [--stations 16] [--same-bytes] [--settle-seconds 60] [--cooldown-seconds 300] [--answer-after-ms 2000] [--keep-data]`;

/** The longest --answer-after-ms: past the stack's ring timeout (RING_TIMEOUT_SECONDS, 30 s) a call has rung out anyway. */
export const MAX_ANSWER_AFTER_MS = 600_000;

/** Parse the benchmark's command line; throws LoadArgumentError naming the bad argument. */
export function parseLoadArgs(args: readonly string[]): LoadOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        uploads: { type: 'string', default: '500' },
        concurrency: { type: 'string', default: '1,8,32' },
        'max-seconds': { type: 'string', default: '300' },
        url: { type: 'string' },
        's3-endpoint': { type: 'string' },
        bucket: { type: 'string', default: DEFAULT_BUCKET },
        seed: { type: 'string', default: '1' },
        stations: { type: 'string', default: '16' },
        'same-bytes': { type: 'boolean', default: false },
        'settle-seconds': { type: 'string', default: '60' },
        'cooldown-seconds': { type: 'string' },
        'answer-after-ms': { type: 'string', default: '2000' },
        'keep-data': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new LoadArgumentError(error instanceof Error ? error.message : String(error));
  }
  const concurrencies = values.concurrency.split(',').map((part) => positiveInteger('--concurrency', part.trim(), 1024));
  const url = values.url === undefined ? undefined : loopbackUrl('--url', values.url);
  const s3Endpoint = values['s3-endpoint'] === undefined ? undefined : loopbackUrl('--s3-endpoint', values['s3-endpoint']);
  if (url && !s3Endpoint) throw new LoadArgumentError("--url needs --s3-endpoint (the stack's s3rver) to reconcile what was stored.");
  if (s3Endpoint && !url) throw new LoadArgumentError('--s3-endpoint only applies with --url; without it the benchmark starts its own stack.');
  return {
    uploads: positiveInteger('--uploads', values.uploads, 1_000_000),
    concurrencies,
    maxSeconds: positiveInteger('--max-seconds', values['max-seconds'], 86_400),
    ...(url ? { url } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    bucket: values.bucket,
    seed: nonNegativeInteger('--seed', values.seed),
    stations: positiveInteger('--stations', values.stations, 64),
    sameBytes: values['same-bytes'],
    settleSeconds: nonNegativeInteger('--settle-seconds', values['settle-seconds']),
    ...(values['cooldown-seconds'] === undefined ? {} : { cooldownSeconds: cooldownSeconds(values['cooldown-seconds']) }),
    answerAfterMs: answerAfterMs(values['answer-after-ms']),
    keepData: values['keep-data'],
  };
}

/** The product's own range for STATION_CALL_COOLDOWN_SECONDS (functions/config/call-policy.ts): 0 to one day. */
function cooldownSeconds(text: string): number {
  const value = nonNegativeInteger('--cooldown-seconds', text);
  if (value > 86_400) throw new LoadArgumentError(`--cooldown-seconds must be between 0 and 86400 (the product's range), got "${text}".`);
  return value;
}

function answerAfterMs(text: string): number {
  const value = nonNegativeInteger('--answer-after-ms', text);
  if (value > MAX_ANSWER_AFTER_MS) throw new LoadArgumentError(`--answer-after-ms must be between 0 and ${MAX_ANSWER_AFTER_MS}, got "${text}".`);
  return value;
}

function positiveInteger(name: string, text: string, max: number): number {
  const value = nonNegativeInteger(name, text);
  if (value < 1 || value > max) throw new LoadArgumentError(`${name} must be between 1 and ${max}, got "${text}".`);
  return value;
}

function nonNegativeInteger(name: string, text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new LoadArgumentError(`${name} must be a whole number, got "${text}".`);
  return Number(text);
}

/** The benchmark floods what it targets, so it only targets this machine. */
function loopbackUrl(name: string, text: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new LoadArgumentError(`${name} is not a URL: "${text}".`);
  }
  if (parsed.protocol !== 'http:') throw new LoadArgumentError(`${name} must be http:// (the local stack), got "${text}".`);
  if (!LOOPBACK_HOSTS.has(parsed.hostname))
    throw new LoadArgumentError(`${name} must be a loopback address (localhost, 127.0.0.1, [::1]), got "${parsed.hostname}".`);
  return parsed.origin;
}

/** One planned upload: which sample to send and which station sends it. */
export interface PlannedUpload {
  index: number;
  sampleIndex: number;
  stationId: string;
}

/**
 * The stations of one run: `bench-<tag>-r<run>c<concurrency>`, then `-1` … `-N`. The stack remembers each station's
 * last call for the cooldown (and `npm start` keeps it across restarts), so a run on stations an earlier run or
 * invocation rang would see its anomalies folded into that call; a tag drawn per invocation and the run's number keep
 * every run's stations fresh. The tag is 1–8 letters or digits, so the names stay well inside the product's 64.
 */
export function stationPrefix(tag: string, run: number, concurrency: number): string {
  if (!/^[a-z0-9]{1,8}$/i.test(tag)) throw new Error(`A station tag is 1-8 letters or digits, got "${tag}".`);
  return `bench-${tag}-r${run}c${concurrency}`;
}

/**
 * Which sample and station each upload uses: every sample once per cycle, in a seeded order per cycle, so any
 * prefix of the plan keeps the normal/anomalous mix of the samples; stations `<stationPrefix>-1` … `-N`, seeded.
 */
export function planUploads(input: { uploads: number; samples: number; stations: number; seed: number; stationPrefix?: string }): PlannedUpload[] {
  const prefix = input.stationPrefix ?? 'bench';
  if (input.samples < 1) throw new Error('No samples to upload.');
  const random = seededRandom(input.seed);
  const plan: PlannedUpload[] = [];
  let cycle: number[] = [];
  for (let index = 0; index < input.uploads; index += 1) {
    if (cycle.length === 0) cycle = shuffled(input.samples, random);
    plan.push({ index, sampleIndex: cycle.pop()!, stationId: `${prefix}-${1 + Math.floor(random() * input.stations)}` });
  }
  return plan;
}

function shuffled(count: number, random: () => number): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  for (let index = count - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

/**
 * The same JPEG with a comment segment (COM, 0xFFFE) right after the start-of-image marker: different bytes and
 * sha256, identical pixels. Throws for anything that is not a JPEG.
 */
export function withJpegComment(jpeg: Uint8Array, comment: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('Not a JPEG: no start-of-image marker.');
  const text = Buffer.from(comment, 'latin1');
  if (text.byteLength > 65_533) throw new Error('A JPEG comment holds at most 65533 bytes.');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.byteLength + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
}

/** The nearest-rank percentile (p in 0–100) of ascending values; NaN for none. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length - 1, Math.max(0, rank - 1))]!;
}

/** Latency summary in ms. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** p50/p95/p99/max of latencies in ms. */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** What the client saw of one upload. */
export interface UploadResult {
  status: number;
  latencyMs: number;
  /** The error code of an error answer (`{"error":{"code"}}`), or the socket error's code when there was no answer. */
  errorCode?: string;
  /**
   * The inspection answered: a 201's new one, a 200's earlier one (the same bytes), or the one an error says was
   * kept (`error.inspectionId`, e.g. 503 DETECTOR_UNAVAILABLE keeps the image as not inspected).
   */
  inspectionId?: string;
  /** The image key of an accepted (200/201) answer. */
  imageKey?: string;
  /** When the answer arrived (Date.now(), the wall clock the stack's timestamps use too). */
  answeredAtMs?: number;
}

/** Outcomes other than accepted (see isAccepted) counted by `status code`, e.g. `503 DETECTOR_UNAVAILABLE: 2`, `network ECONNRESET: 1`. */
export function countErrors(results: readonly UploadResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const result of results) {
    if (isAccepted(result)) continue;
    const label = `${result.status === 0 ? 'network' : result.status} ${result.errorCode ?? 'no-code'}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * What the reconciliation needs of a record's alert: where it got to, which calls it has, and when place-call decided
 * it. The statuses are functions/core/inspection.ts AlertOutcome's: `queued`, `ringing`, `acknowledged`,
 * `unacknowledged`, `folded`, `failed`, `skipped`, `not-queued`, and `placed` on records from before escalation ladders.
 */
export interface AlertSummary {
  status: string;
  /** A ladder's: `anomaly` (its own call) or `folded` (a station's cooldown-end call about the anomalies folded during it). */
  callKind?: string;
  /** A folded alert: the inspection whose call (ringing, or still to come) it was counted into. */
  intoInspectionId?: string;
  /** A folded alert acknowledged by another inspection's call: that inspection. */
  viaInspectionId?: string;
  /** The Connect contacts of its ladder (every attempt that started), or of its call on a `placed` record. */
  contactIds?: string[];
  /** A failed alert: why, e.g. DAILY_CALL_CAP_REACHED. */
  code?: string;
  /**
   * When place-call decided it: placedAt, the ladder's startedAt, foldedAt or failedAt. Unknown for the anomaly a
   * cooldown-end call is about: its record went from `folded` to `ringing` and kept no foldedAt.
   */
  decidedAt?: string;
  /** An acknowledged alert: when the key was pressed. */
  acknowledgedAt?: string;
}

/** The few fields of a stored inspection record the reconciliation needs. */
export interface RecordSummary {
  inspectionId: string;
  stationId: string;
  status: string;
  createdAt: string;
  sha256: string;
  alert: AlertSummary;
}

/** The alert statuses of an anomaly that rang (with `placed`, the same on records from before escalation ladders). */
export const RANG_STATUSES: ReadonlySet<string> = new Set(['ringing', 'acknowledged', 'unacknowledged', 'placed']);

/** The record's alert as the reconciliation sees it; unknown shapes keep only their status. */
export function summarizeAlert(alert: unknown): AlertSummary {
  const fields = typeof alert === 'object' && alert !== null ? (alert as Record<string, unknown>) : {};
  const text = (name: string) => (typeof fields[name] === 'string' ? fields[name] : undefined);
  const status = text('status') ?? 'missing';
  const callKind = text('callKind');
  const viaInspectionId = text('viaInspectionId');
  const isCooldownCall = callKind === 'folded' && viaInspectionId === undefined && RANG_STATUSES.has(status);
  const decidedAt = isCooldownCall ? undefined : (text('placedAt') ?? text('startedAt') ?? text('foldedAt') ?? text('failedAt'));
  const intoInspectionId = text('intoInspectionId');
  const attempts = Array.isArray(fields.attempts) ? (fields.attempts as unknown[]) : [];
  const contactIds = [
    ...new Set(
      [
        text('contactId'),
        ...attempts.map((attempt) => (typeof attempt === 'object' && attempt !== null ? (attempt as Record<string, unknown>).contactId : undefined)),
      ].filter((id): id is string => typeof id === 'string' && id.length > 0),
    ),
  ];
  const code = text('code');
  const acknowledgedAt = status === 'acknowledged' ? text('acknowledgedAt') : undefined;
  return {
    status,
    ...(callKind ? { callKind } : {}),
    ...(intoInspectionId ? { intoInspectionId } : {}),
    ...(viaInspectionId ? { viaInspectionId } : {}),
    ...(contactIds.length > 0 ? { contactIds } : {}),
    ...(code ? { code } : {}),
    ...(decidedAt ? { decidedAt } : {}),
    ...(acknowledgedAt ? { acknowledgedAt } : {}),
  };
}

/**
 * Where the policy put an alert, whatever happened to it since:
 * - `rang`: its own ladder rang (ringing, acknowledged, unacknowledged; placed on old records);
 * - `folded`: folded into its station's call inside the cooldown; still `folded`, acknowledged with the call that
 *   told it (`viaInspectionId`), or the newest fold a station's cooldown-end call is about (`callKind: 'folded'`);
 * - `failed`, `queued`, or `other` (not anomalous, not queued, skipped).
 */
export type AlertCategory = 'rang' | 'folded' | 'failed' | 'queued' | 'other';

export function alertCategory(alert: AlertSummary): AlertCategory {
  if (alert.status === 'queued' || alert.status === 'failed' || alert.status === 'folded') return alert.status;
  if (!RANG_STATUSES.has(alert.status)) return 'other';
  return alert.viaInspectionId !== undefined || alert.callKind === 'folded' ? 'folded' : 'rang';
}

/** True for an alert with calls of its own: one that rang, or the anomaly a cooldown-end call is about. */
export function hasOwnCalls(alert: AlertSummary): boolean {
  return RANG_STATUSES.has(alert.status) && alert.viaInspectionId === undefined;
}

/**
 * The product's operator call policy (functions/core/place-operator-call.ts), as the benchmark models it:
 * - the same image bytes (sha256) are one inspection, so they ring at most once (`dedupeSameImage`);
 * - a station rings at most once per `cooldownMs`, counted from its last call: anomalies on it inside the cooldown
 *   are folded (STATION_CALL_COOLDOWN_SECONDS); when the cooldown ends with folds nobody was told about, a call of
 *   their own tells them and starts a new cooldown (these cooldown-end calls are observed, not predicted: see
 *   expectedAlerts);
 * - at most `dailyCallsLeft` more calls today (DAILY_CALL_CAP minus the calls already placed this UTC day): a call
 *   past it is refused (DAILY_CALL_CAP_REACHED) and lifts the station's cooldown, as nobody was rung.
 */
export interface CallPolicy {
  cooldownMs: number;
  dedupeSameImage: boolean;
  dailyCallsLeft: number;
}

/** STATION_CALL_COOLDOWN_SECONDS when unset (functions/config/call-policy.ts). */
export const DEFAULT_STATION_CALL_COOLDOWN_SECONDS = 300;

/** The product's policy for a stack with this cooldown; the daily cap is unbounded unless said. */
export function productCallPolicy(input: { cooldownSeconds: number; dailyCallsLeft?: number }): CallPolicy {
  return { cooldownMs: input.cooldownSeconds * 1000, dedupeSameImage: true, dailyCallsLeft: input.dailyCallsLeft ?? Number.POSITIVE_INFINITY };
}

/** How a policy ends the alerts of a set of records. */
export interface ExpectedAlerts {
  /** Alerts that ring a ladder of their own. */
  calls: number;
  /** Alerts folded into a station's call inside its cooldown. */
  folded: number;
  /** Alerts refused by the daily call cap. */
  capped: number;
}

/**
 * When place-call decided an alert (or, not decided yet or not known, when the inspection was created). The policy
 * applies when the alert leaves the queue, not when the wafer was photographed, so this is the clock the model
 * replays; it agrees with the product to within the Connect call's own latency (a ladder's startedAt is stamped after
 * its first call started).
 */
export function alertDecisionTime(record: RecordSummary): number {
  return Date.parse(record.alert.decidedAt ?? record.createdAt);
}

/** A station's cooldown-end call (`callKind: 'folded'`), as an event of the policy's timeline. */
export interface CooldownCall {
  stationId: string;
  /** When it started (ms since the epoch). */
  at: number;
}

/**
 * What `policy` makes of the alerts of these records: the anomalous ones whose alert reached the queue (a
 * `not-queued` alert never did; the client was answered 503), replayed in the order place-call decided them.
 * `cooldownCalls` are the cooldown-end calls that started meanwhile: each restarts its station's cooldown and uses one
 * call of the daily cap. They only happen when a run outlasts a cooldown, and are reported apart from these.
 */
export function expectedAlerts(records: readonly RecordSummary[], policy: CallPolicy, cooldownCalls: readonly CooldownCall[] = []): ExpectedAlerts {
  type Event = { at: number; order: string; record?: RecordSummary; stationId: string };
  const events: Event[] = [
    ...records
      .filter((record) => record.status === 'anomalous' && record.alert.status !== 'not-queued')
      .map((record) => ({ at: alertDecisionTime(record), order: record.inspectionId, record, stationId: record.stationId })),
    ...cooldownCalls.map((call) => ({ at: call.at, order: '', stationId: call.stationId })),
  ].sort((a, b) => a.at - b.at || a.order.localeCompare(b.order));
  const lastCallAt = new Map<string, number>();
  const seenImages = new Set<string>();
  const expected: ExpectedAlerts = { calls: 0, folded: 0, capped: 0 };
  let callsLeft = policy.dailyCallsLeft;
  for (const { record, at, stationId } of events) {
    if (!record) {
      lastCallAt.set(stationId, at);
      callsLeft -= 1;
      continue;
    }
    if (policy.dedupeSameImage) {
      if (seenImages.has(record.sha256)) continue;
      seenImages.add(record.sha256);
    }
    const last = lastCallAt.get(stationId);
    if (last !== undefined && at - last < policy.cooldownMs) {
      expected.folded += 1;
    } else if (callsLeft <= 0) {
      lastCallAt.delete(stationId);
      expected.capped += 1;
    } else {
      lastCallAt.set(stationId, at);
      callsLeft -= 1;
      expected.calls += 1;
    }
  }
  return expected;
}

/**
 * How long after its inspection was created place-call decided each settled alert (ms), and how long until each
 * alert that rang had its ladder started: the wait an operator sees, which grows when the queue falls behind the
 * uploads. (The anomaly a cooldown-end call is about has no known decision time and is left out.)
 */
export function alertDelays(records: readonly RecordSummary[]): { decided: number[]; rang: number[] } {
  const delays = { decided: [] as number[], rang: [] as number[] };
  for (const record of records) {
    if (record.status !== 'anomalous' || record.alert.decidedAt === undefined) continue;
    const delay = Date.parse(record.alert.decidedAt) - Date.parse(record.createdAt);
    delays.decided.push(delay);
    if (alertCategory(record.alert) === 'rang') delays.rang.push(delay);
  }
  return delays;
}

/** The number of alerts `policy` rings a ladder for, for these records. */
export function expectedCallCount(records: readonly RecordSummary[], policy: CallPolicy): number {
  return expectedAlerts(records, policy).calls;
}

/** One reconciliation line: what should be there, what is. */
export interface ReconciliationCheck {
  name: string;
  expected: number;
  actual: number;
  ok: boolean;
}

/** One call the Connect emulator placed during the run (GET /_local/calls), with the attributes place-call gave it. */
export interface PlacedCall {
  contactId: string;
  /** The inspection id the call was placed for (its contact attributes). */
  inspectionId: string;
  stationId?: string;
  /** `anomaly`, or `folded` for a station's cooldown-end call; absent on calls from before ladders (anomaly). */
  callKind?: string;
  /** Which call of the ladder: escalationLevel, escalationLoop and the contact rung. */
  level?: string;
  loop?: string;
  contactName?: string;
  /** When the call started ringing (the emulator's startedAt, the list's createdAt). */
  startedAt?: string;
}

/** A station's cooldown-end call, about the anomalies folded during its cooldown; not an anomaly's own call. */
export function isCooldownEndCall(call: PlacedCall): boolean {
  return call.callKind === 'folded';
}

/** What the stack holds after one run, read from its own state (S3 and the Connect emulator), not from the client. */
export interface StackState {
  /** Inspections whose record existed before the run: the same bytes sent again are answered with one of these. */
  earlierInspectionIds: ReadonlySet<string>;
  /** Image keys (not masks) that appeared under inspections/ during the run. */
  storedImageKeys: readonly string[];
  /** Records that appeared under inspections/ during the run, as they stood once the alert queue settled. */
  records: readonly RecordSummary[];
  /** Every call placed during the run: anomalies' ladders and stations' cooldown-end calls (of any run's stations). */
  calls: readonly PlacedCall[];
}

/** An answer that stands for an inspection: 201 (new) or 200 (the same bytes, the earlier inspection). */
export function isAccepted(result: UploadResult): boolean {
  return (result.status === 201 || result.status === 200) && result.inspectionId !== undefined;
}

/** The cooldown-end calls of a run, as events of the policy's timeline (calls without a station or a time are left out). */
export function cooldownCallsOf(calls: readonly PlacedCall[]): CooldownCall[] {
  return calls
    .filter((call) => isCooldownEndCall(call) && call.stationId !== undefined && call.startedAt !== undefined)
    .map((call) => ({ stationId: call.stationId!, at: Date.parse(call.startedAt!) }));
}

/**
 * Reconcile one run against the stack's state, once its alerts settled:
 * - storage: one image and one record per distinct new inspection the client was answered with (an accepted upload,
 *   or an error that says its inspection was kept, e.g. 503 DETECTOR_UNAVAILABLE), each accepted image present, and
 *   no image stored as two inspections;
 * - calls (an anomaly's own; cooldown-end calls are reported apart and only move the policy's clock): a ladder for as
 *   many alerts as the policy expects for this run's records, no ladder step rung twice, none for another run's
 *   inspection, each alert that rang with its call;
 * - alerts: none left queued, every anomalous one rang, folded or failed, folds into a call of the same station, as
 *   many folded and capped as the policy expects, and every alert that rang acknowledged by the operator's key.
 */
export function reconcile(results: readonly UploadResult[], state: StackState, policy: CallPolicy): ReconciliationCheck[] {
  const accepted = results.filter(isAccepted);
  const answered = new Set<string>();
  for (const result of results) {
    const id = result.inspectionId;
    if (id !== undefined && !state.earlierInspectionIds.has(id)) answered.add(id);
  }
  const acceptedNewKeys = new Set(accepted.filter((result) => !state.earlierInspectionIds.has(result.inspectionId!)).map((result) => result.imageKey));
  const storedKeys = new Set(state.storedImageKeys);
  const recordsById = new Map(state.records.map((record) => [record.inspectionId, record]));
  const anomalyCalls = state.calls.filter((call) => !isCooldownEndCall(call));
  const calledIds = new Set(anomalyCalls.map((call) => call.inspectionId));
  const ladderSteps = anomalyCalls.map((call) => [call.inspectionId, call.level ?? '1', call.loop ?? '1', call.contactName ?? ''].join('\u0000'));
  const contactIds = new Set(state.calls.map((call) => call.contactId));
  const anomalous = state.records.filter((record) => record.status === 'anomalous');
  const inCategory = (category: AlertCategory) => anomalous.filter((record) => alertCategory(record.alert) === category);
  const rang = inCategory('rang');
  const folded = inCategory('folded');
  const failed = inCategory('failed');
  const expected = expectedAlerts(state.records, policy, cooldownCallsOf(state.calls));
  const foldedAstray = folded.filter((record) => {
    // The anomaly a cooldown-end call is about is that call; the others point at the call that counted or told them.
    if (record.alert.callKind === 'folded' && record.alert.viaInspectionId === undefined) return false;
    const into = recordsById.get(record.alert.viaInspectionId ?? record.alert.intoInspectionId ?? '');
    return into === undefined || into.stationId !== record.stationId || !hasOwnCalls(into.alert);
  });
  const check = (name: string, expectedCount: number, actual: number): ReconciliationCheck => ({
    name,
    expected: expectedCount,
    actual,
    ok: expectedCount === actual,
  });
  return [
    check('images stored = new inspections answered', answered.size, state.storedImageKeys.length),
    check('accepted images missing from S3', 0, [...acceptedNewKeys].filter((key) => key === undefined || !storedKeys.has(key)).length),
    check('records = new inspections answered', answered.size, state.records.length),
    check('answered inspections without a record', 0, [...answered].filter((id) => !recordsById.has(id)).length),
    check('one image stored as two inspections', 0, state.records.length - new Set(state.records.map((record) => record.sha256)).size),
    check('calls = expected by the policy', expected.calls, calledIds.size),
    check('ladder steps called more than once', 0, ladderSteps.length - new Set(ladderSteps).size),
    check('calls for inspections not in this run', 0, [...calledIds].filter((id) => !recordsById.has(id)).length),
    check('rung alerts without their call', 0, rang.filter((record) => !(record.alert.contactIds ?? []).some((id) => contactIds.has(id))).length),
    check('anomalous alerts still queued', 0, inCategory('queued').length),
    check('rang + folded + failed = anomalous', anomalous.length, rang.length + folded.length + failed.length),
    check('folded = expected by the policy', expected.folded, folded.length),
    check('folded not into a call of its station', 0, foldedAstray.length),
    check('refused by the daily call cap = expected', expected.capped, failed.filter((record) => record.alert.code === 'DAILY_CALL_CAP_REACHED').length),
    // A `placed` record predates acknowledgements: nothing can acknowledge it.
    check(
      'rung alerts not acknowledged by the key',
      0,
      rang.filter((record) => record.alert.status === 'ringing' || record.alert.status === 'unacknowledged').length,
    ),
  ];
}

/** When each inspection's upload was first answered (ms since the epoch): the accepted answers, the earliest per inspection. */
export function answerTimes(results: readonly UploadResult[]): Map<string, number> {
  const times = new Map<string, number>();
  for (const result of results) {
    if (!isAccepted(result) || result.answeredAtMs === undefined) continue;
    const id = result.inspectionId!;
    const earlier = times.get(id);
    if (earlier === undefined || result.answeredAtMs < earlier) times.set(id, result.answeredAtMs);
  }
  return times;
}

/**
 * Time-to-ring (ms) of each anomaly of the run that rang: from its upload's answer to the start of its ladder's first
 * call (the emulator's startedAt). Cooldown-end calls and calls for inspections this run's uploads did not answer are
 * left out.
 */
export function timeToRing(calls: readonly PlacedCall[], answeredAtMs: ReadonlyMap<string, number>): number[] {
  const firstCall = new Map<string, number>();
  for (const call of calls) {
    if (isCooldownEndCall(call) || call.startedAt === undefined) continue;
    const startedAt = Date.parse(call.startedAt);
    if (!Number.isFinite(startedAt)) continue;
    const earlier = firstCall.get(call.inspectionId);
    if (earlier === undefined || startedAt < earlier) firstCall.set(call.inspectionId, startedAt);
  }
  const delays: number[] = [];
  for (const [inspectionId, startedAt] of firstCall) {
    const answered = answeredAtMs.get(inspectionId);
    if (answered !== undefined) delays.push(startedAt - answered);
  }
  return delays.sort((a, b) => a - b);
}

/** Time-to-acknowledge (ms) of each alert of the run that rang and was acknowledged: from its upload's answer to the key. */
export function timeToAcknowledge(records: readonly RecordSummary[], answeredAtMs: ReadonlyMap<string, number>): number[] {
  const delays: number[] = [];
  for (const record of records) {
    if (alertCategory(record.alert) !== 'rang' || record.alert.acknowledgedAt === undefined) continue;
    const answered = answeredAtMs.get(record.inspectionId);
    const acknowledged = Date.parse(record.alert.acknowledgedAt);
    if (answered !== undefined && Number.isFinite(acknowledged)) delays.push(acknowledged - answered);
  }
  return delays.sort((a, b) => a - b);
}

/** Amazon Connect's default StartOutboundVoiceContact rate per instance: the calls of a burst cannot all start at once. */
export const CONNECT_CALLS_PER_SECOND = 2;
/** The time-to-ring goal on top of the Connect-rate floor. */
export const RING_GOAL_SECONDS = 2;

/** The time-to-ring goal of a run: p95 within 2 s plus the Connect-rate floor (calls ÷ 2 per second). */
export interface RingGoal {
  calls: number;
  /** calls ÷ CONNECT_CALLS_PER_SECOND: how long the last of them must wait at Connect's rate. */
  floorSeconds: number;
  /** RING_GOAL_SECONDS + floorSeconds. */
  goalSeconds: number;
  p95Seconds: number;
  /** Undefined when nothing rang. */
  met: boolean | undefined;
}

export function ringGoal(timeToRingMs: readonly number[]): RingGoal {
  const sorted = [...timeToRingMs].sort((a, b) => a - b);
  const calls = sorted.length;
  const floorSeconds = calls / CONNECT_CALLS_PER_SECOND;
  const goalSeconds = RING_GOAL_SECONDS + floorSeconds;
  const p95Seconds = percentile(sorted, 95) / 1000;
  return { calls, floorSeconds, goalSeconds, p95Seconds, met: calls === 0 ? undefined : p95Seconds <= goalSeconds };
}

/**
 * For each anomaly of the run that rang: how many other alerts of the run place-call decided between its upload's
 * answer and its first call (the queue works through alerts in the order they came, folds included), and how many of
 * those were folds. Shows whether a station's first anomaly waited behind other stations' folded ones.
 */
export function decidedWhileWaiting(
  records: readonly RecordSummary[],
  calls: readonly PlacedCall[],
  answeredAtMs: ReadonlyMap<string, number>,
): Array<{ inspectionId: string; decided: number; folds: number }> {
  const decided = records
    .filter((record) => record.status === 'anomalous' && record.alert.decidedAt !== undefined)
    .map((record) => ({ inspectionId: record.inspectionId, at: Date.parse(record.alert.decidedAt!), fold: alertCategory(record.alert) === 'folded' }));
  const firstCall = new Map<string, number>();
  for (const call of calls) {
    if (isCooldownEndCall(call) || call.startedAt === undefined) continue;
    const at = Date.parse(call.startedAt);
    if (!firstCall.has(call.inspectionId) || at < firstCall.get(call.inspectionId)!) firstCall.set(call.inspectionId, at);
  }
  const waits: Array<{ inspectionId: string; decided: number; folds: number }> = [];
  for (const [inspectionId, startedAt] of firstCall) {
    const answered = answeredAtMs.get(inspectionId);
    if (answered === undefined) continue;
    const between = decided.filter((alert) => alert.inspectionId !== inspectionId && alert.at >= answered && alert.at < startedAt);
    waits.push({ inspectionId, decided: between.length, folds: between.filter((alert) => alert.fold).length });
  }
  return waits;
}

/** `12.3` for finite numbers, `-` otherwise. */
export function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}

/** Milliseconds as seconds, `1.23`; `-` for none. */
export function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-';
}
