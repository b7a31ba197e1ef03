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
  stations: number;
  /**
   * Send the shipped samples byte for byte. By default each upload gets a unique JPEG comment, so each is a
   * different image (sha256) with the same pixels, like wafers off a line; same bytes would exercise de-duplication.
   */
  sameBytes: boolean;
  /** How long to wait for calls that arrive after the uploads (an alert queue) before reconciling. */
  settleSeconds: number;
  keepData: boolean;
}

/** The local stack's bucket (local/local-services.ts), the default when targeting `--url`. */
export const DEFAULT_BUCKET = 'waferwatch-local-images';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A bad command line; the message says which argument and why. */
export class LoadArgumentError extends Error {}

export const LOAD_USAGE = `npm run bench:load -- [--uploads 500] [--concurrency 1,8,32] [--max-seconds 300]
    [--url http://localhost:3000 --s3-endpoint http://localhost:PORT [--bucket ${DEFAULT_BUCKET}]]
    [--seed 1] [--stations 4] [--same-bytes] [--settle-seconds 10] [--keep-data]`;

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
        stations: { type: 'string', default: '4' },
        'same-bytes': { type: 'boolean', default: false },
        'settle-seconds': { type: 'string', default: '10' },
        'keep-data': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new LoadArgumentError(error instanceof Error ? error.message : String(error));
  }
  const concurrencies = values.concurrency.split(',').map((part) => positiveInteger('--concurrency', part.trim(), 1024));
  const url = values.url === undefined ? undefined : loopbackUrl('--url', values.url);
  const s3Endpoint = values['s3-endpoint'] === undefined ? undefined : loopbackUrl('--s3-endpoint', values['s3-endpoint']);
  if (url && !s3Endpoint) throw new LoadArgumentError('--url needs --s3-endpoint (the stack\'s s3rver) to reconcile what was stored.');
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
    keepData: values['keep-data'],
  };
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
  if (!LOOPBACK_HOSTS.has(parsed.hostname)) throw new LoadArgumentError(`${name} must be a loopback address (localhost, 127.0.0.1, [::1]), got "${parsed.hostname}".`);
  return parsed.origin;
}

/** One planned upload: which sample to send and which station sends it. */
export interface PlannedUpload {
  index: number;
  sampleIndex: number;
  stationId: string;
}


/**
 * Which sample and station each upload uses: every sample once per cycle, in a seeded order per cycle, so any
 * prefix of the plan keeps the normal/anomalous mix of the samples; stations `bench-1` … `bench-N`, seeded.
 */
export function planUploads(input: { uploads: number; samples: number; stations: number; seed: number }): PlannedUpload[] {
  if (input.samples < 1) throw new Error('No samples to upload.');
  const random = seededRandom(input.seed);
  const plan: PlannedUpload[] = [];
  let cycle: number[] = [];
  for (let index = 0; index < input.uploads; index += 1) {
    if (cycle.length === 0) cycle = shuffled(input.samples, random);
    plan.push({ index, sampleIndex: cycle.pop()!, stationId: `bench-${1 + Math.floor(random() * input.stations)}` });
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
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
}

/** What the client saw of one upload. */
export interface UploadResult {
  status: number;
  latencyMs: number;
  /** The error code of a non-201 answer (`{"error":{"code"}}`), or the socket error's code when there was no answer. */
  errorCode?: string;
  inspectionId?: string;
  imageKey?: string;
}

/** Non-201 outcomes counted by `status code`, e.g. `503 DETECTOR_UNAVAILABLE: 2`, `network ECONNRESET: 1`. */
export function countErrors(results: readonly UploadResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const result of results) {
    if (result.status === 201) continue;
    const label = `${result.status === 0 ? 'network' : result.status} ${result.errorCode ?? 'no-code'}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The few fields of a stored inspection record the reconciliation needs. */
export interface RecordSummary {
  inspectionId: string;
  stationId: string;
  status: string;
  createdAt: string;
  sha256: string;
}

/**
 * How many operator calls the product should place for a set of inspections. Today every anomalous inspection rings
 * once (`CURRENT_CALL_POLICY`); the alert queue adds a per-station cooldown and same-image de-duplication, which
 * this models so the benchmark's expectation moves with the product by changing the policy, not the counting.
 */
export interface CallPolicy {
  /** An anomaly within this long after a station's last call is folded into the next call instead of ringing. */
  cooldownMs: number;
  /** A second anomalous inspection of the same image (sha256) never rings again. */
  dedupeSameImage: boolean;
}

/** What the product does today: one call per anomalous inspection, no cooldown, no de-duplication. */
export const CURRENT_CALL_POLICY: CallPolicy = { cooldownMs: 0, dedupeSameImage: false };

/** The number of calls `policy` places for these records, taken in the order they were created. */
export function expectedCallCount(records: readonly RecordSummary[], policy: CallPolicy): number {
  const anomalous = records
    .filter((record) => record.status === 'anomalous')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.inspectionId.localeCompare(b.inspectionId));
  const lastCallAt = new Map<string, number>();
  const calledImages = new Set<string>();
  let calls = 0;
  for (const record of anomalous) {
    if (policy.dedupeSameImage && calledImages.has(record.sha256)) continue;
    const at = Date.parse(record.createdAt);
    const last = lastCallAt.get(record.stationId);
    if (last !== undefined && at - last < policy.cooldownMs) continue;
    lastCallAt.set(record.stationId, at);
    calledImages.add(record.sha256);
    calls += 1;
  }
  return calls;
}

/** One reconciliation line: what should be there, what is. */
export interface ReconciliationCheck {
  name: string;
  expected: number;
  actual: number;
  ok: boolean;
}

/** What the stack holds after one run, read from its own state (S3 and the Connect emulator), not from the client. */
export interface StackState {
  /** Image keys (not masks) that appeared under inspections/ during the run. */
  storedImageKeys: readonly string[];
  /** Records that appeared under inspections/ during the run. */
  records: readonly RecordSummary[];
  /** The inspection id of each call placed during the run (from its contact attributes). */
  calledInspectionIds: readonly string[];
}

/**
 * Reconcile one run: every accepted upload's image and record stored exactly once, nothing stored that was not
 * accepted, and the calls placed equal to what the policy expects for the stored records, none twice.
 */
export function reconcile(accepted: readonly UploadResult[], state: StackState, policy: CallPolicy): ReconciliationCheck[] {
  const acceptedKeys = new Set(accepted.map((result) => result.imageKey));
  const acceptedIds = new Set(accepted.map((result) => result.inspectionId));
  const storedKeys = new Set(state.storedImageKeys);
  const recordIds = new Set(state.records.map((record) => record.inspectionId));
  const check = (name: string, expected: number, actual: number): ReconciliationCheck => ({ name, expected, actual, ok: expected === actual });
  return [
    check('images stored = accepted', accepted.length, state.storedImageKeys.length),
    check('accepted images missing from S3', 0, [...acceptedKeys].filter((key) => key === undefined || !storedKeys.has(key)).length),
    check('records = accepted', accepted.length, state.records.length),
    check('accepted uploads without a record', 0, [...acceptedIds].filter((id) => id === undefined || !recordIds.has(id)).length),
    check('calls = expected by the policy', expectedCallCount(state.records, policy), state.calledInspectionIds.length),
    check('inspections called more than once', 0, state.calledInspectionIds.length - new Set(state.calledInspectionIds).size),
    check('calls for inspections not in this run', 0, state.calledInspectionIds.filter((id) => !recordIds.has(id)).length),
  ];
}

/** `12.3` for finite numbers, `-` otherwise. */
export function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}
