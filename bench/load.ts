/**
 * Load benchmark of the local stack: POST /inspections with raw JPEG bodies at several concurrencies, wait for the
 * alert queue to settle, then reconcile what the stack itself stored (s3rver, through the real S3 client) and called
 * (the Connect emulator) against what the client was told and what the product's call policy (station cooldown,
 * same-image de-duplication, daily cap) expects. Exits 1 on any mismatch, 2 on a bad command line.
 *
 * A simulated operator picks up every call of the benchmark's stations --answer-after-ms (2000) after it started
 * ringing and presses 1 (keep manufacturing), through the stack's phone (GET /_local/phone/{id}, POST …/keys), which
 * acknowledges the alert. Each run prints the time from each upload's answer to its call ringing (time-to-ring,
 * against the goal: p95 within 2 s plus Connect's rate floor, calls ÷ 2 per second) and to its acknowledgement.
 *
 *   npm run bench:load -- [--uploads 500] [--concurrency 1,8,32] [--max-seconds 300] [--answer-after-ms 2000]
 *   WAFERWATCH_AUTH=off npm start   # then, in another shell:
 *   npm run bench:load -- --url http://localhost:3000 --s3-endpoint http://localhost:<s3rver port> [--cooldown-seconds 300]
 *
 * The stack runs in this process unless --url is given, so the numbers include the client's own work on the
 * same cores, and the peak RSS is the stack's and the client's together. The benchmark uploads as a script, for
 * stations of its own, without credentials: its own stack runs with WAFERWATCH_AUTH=off, and a --url stack must too
 * (with sign-in on, the API answers it 401).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createS3Client } from '../functions/adapters/aws-clients';
import { recordKey } from '../functions/core/inspection-keys';
import {
  alertCategory,
  alertDelays,
  answerTimes,
  cooldownCallsOf,
  countErrors,
  decidedWhileWaiting,
  DEFAULT_STATION_CALL_COOLDOWN_SECONDS,
  expectedAlerts,
  formatMs,
  formatSeconds,
  hasOwnCalls,
  isAccepted,
  isCooldownEndCall,
  LOAD_USAGE,
  LoadArgumentError,
  parseLoadArgs,
  planUploads,
  productCallPolicy,
  reconcile,
  ringGoal,
  stationPrefix,
  summarizeAlert,
  summarizeLatencies,
  timeToAcknowledge,
  timeToRing,
  withJpegComment,
  type CallPolicy,
  type RingGoal,
  type LoadOptions,
  type PlacedCall,
  type ReconciliationCheck,
  type RecordSummary,
  type UploadResult,
} from './load-benchmark';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE_FOLDERS = ['samples/wafer-photos/good', 'samples/wafer-photos/anomalous'];
/** A single upload stuck longer than API Gateway's 29 s is a failure, not a slow success. */
const UPLOAD_TIMEOUT_MS = 35_000;
/** How often the settling reads the records whose alert is still queued or ringing (the local pump polls every 250 ms). */
const SETTLE_POLL_MS = 250;
/** How often the simulated operator lists the calls (one request at a time). */
const OPERATOR_POLL_MS = 75;
/** A request of the simulated operator that takes longer than this is given up (and said so in its outcome). */
const OPERATOR_REQUEST_TIMEOUT_MS = 10_000;
/** ACK_TIMEOUT_SECONDS when unset (functions/config/call-policy.ts). */
const DEFAULT_ACK_TIMEOUT_SECONDS = 120;

interface Target {
  url: string;
  s3: S3Client;
  bucket: string;
  /** The stack's cooldown, and its daily call cap when known (a stack started here, whose fresh data folder has used none of it). */
  cooldownSeconds: number;
  dailyCallCap?: number;
  /** A stack started here: how long a call rings unanswered, and how long a ladder step waits for a key. */
  ringTimeoutSeconds?: number;
  ackTimeoutSeconds?: number;
  close(): Promise<void>;
}

interface RunSummary {
  concurrency: number;
  sent: number;
  accepted: number;
  errors: number;
  /** Every call placed during the run (each uses one of the daily cap): the anomalies' ladders and cooldown-end calls. */
  calls: number;
  /** Anomalous alerts that rang a ladder of their own, and how many of them were acknowledged. */
  rang: number;
  folded: number;
  /** Time-to-ring and time-to-acknowledge (ms), and the goal. */
  ring: ReturnType<typeof summarizeLatencies>;
  goal: RingGoal;
  ack: ReturnType<typeof summarizeLatencies>;
  acknowledged: number;
  seconds: number;
  latency: ReturnType<typeof summarizeLatencies>;
  peakRssMb: number;
  checks: ReconciliationCheck[];
  cappedAt?: number;
}

async function main(): Promise<number> {
  let options: LoadOptions;
  try {
    options = parseLoadArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof LoadArgumentError)) throw error;
    console.error(`${error.message}\n\nusage: ${LOAD_USAGE}`);
    return 2;
  }

  const samples = await loadSamples();
  console.log(
    `waferwatch load benchmark: POST /inspections, raw JPEG bodies (${samples.length} samples: ${samples.filter((s) => s.anomalous).length} anomalous)`,
  );
  console.log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), load average ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} at start, node ${process.version}`,
  );

  const target = await openTarget(options);
  console.log(
    `target: ${target.url}${options.url ? " (a running stack: the peak RSS below is this client's alone)" : ' (started in this process: client and stack share the cores and the RSS)'}`,
  );
  // Drawn per invocation, not from --seed: the stack keeps stations' cooldowns and the image hashes it has seen
  // (npm start across restarts), so a second invocation with the same seed must still send new images from new stations.
  const tag = randomBytes(3).toString('hex');
  console.log(
    `call policy: station cooldown ${target.cooldownSeconds} s${options.url && options.cooldownSeconds === undefined ? ' (--cooldown-seconds, the product default; say so if the stack runs another)' : ''}, the same image is one inspection, daily cap ${target.dailyCallCap ?? "the stack's own (assumed not reached)"}; stations bench-${tag}-r<run>c<concurrency>-1…${options.stations}`,
  );
  console.log(
    `operator: picks up every call of stations bench-${tag}-… ${options.answerAfterMs} ms after it started ringing and presses 1 (keep manufacturing); ` +
      `the stack's ring timeout ${target.ringTimeoutSeconds ?? 'its own'} s, ack timeout ${target.ackTimeoutSeconds ?? 'its own'} s`,
  );
  const operator = startOperator({ url: target.url, stationPrefix: `bench-${tag}-`, answerAfterMs: options.answerAfterMs });
  const runs: RunSummary[] = [];
  try {
    for (const [index, concurrency] of options.concurrencies.entries()) {
      const callsSoFar = runs.reduce((sum, run) => sum + run.calls, 0);
      // A stack started here begins the day with no calls, so what is left of its cap is known exactly.
      const policy = productCallPolicy({
        cooldownSeconds: target.cooldownSeconds,
        ...(target.dailyCallCap === undefined ? {} : { dailyCallsLeft: target.dailyCallCap - callsSoFar }),
      });
      runs.push(await runOnce(target, options, samples, { run: index + 1, concurrency, tag }, policy, operator));
    }
  } finally {
    await operator.stop();
    await target.close();
  }

  console.log(
    `\n| concurrency | uploads | accepted | errors | uploads/s | p50 ms | p95 ms | p99 ms | max ms | peak RSS MB | calls placed/expected | folded | time-to-ring p95 s | ring goal s | goal met | time-to-ack p95 s | acknowledged | reconciliation |`,
  );
  console.log(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|`);
  for (const run of runs) {
    const ok = run.checks.every((check) => check.ok);
    const calls = run.checks.find((check) => check.name.startsWith('calls ='))!;
    console.log(
      `| ${run.concurrency} | ${run.sent}${run.cappedAt ? ` (capped)` : ''} | ${run.accepted} | ${run.errors} | ${(run.sent / run.seconds).toFixed(1)} | ${formatMs(run.latency.p50)} | ${formatMs(run.latency.p95)} | ${formatMs(run.latency.p99)} | ${formatMs(run.latency.max)} | ${run.peakRssMb.toFixed(0)} | ${calls.actual}/${calls.expected} | ${run.folded} | ${formatSeconds(run.ring.p95)} | ${run.goal.goalSeconds.toFixed(1)} | ${goalWord(run.goal)} | ${formatSeconds(run.ack.p95)} | ${run.acknowledged}/${run.rang} | ${ok ? 'OK' : 'MISMATCH'} |`,
    );
  }
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const mismatched = runs.some((run) => run.checks.some((check) => !check.ok));
  console.log(mismatched ? 'RECONCILIATION MISMATCH' : 'reconciliation OK for every run');
  return mismatched ? 1 : 0;
}

interface Sample {
  name: string;
  anomalous: boolean;
  bytes: Buffer;
}

/** The shipped 507x512 JPEG samples, good first, in name order (the plan shuffles them, seeded). */
async function loadSamples(): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const folder of SAMPLE_FOLDERS) {
    const directory = path.join(PROJECT_ROOT, folder);
    for (const name of (await readdir(directory)).sort()) {
      if (!/\.jpe?g$/i.test(name)) continue;
      samples.push({ name: `${path.basename(folder)}/${name}`, anomalous: folder.endsWith('anomalous'), bytes: await readFile(path.join(directory, name)) });
    }
  }
  if (samples.length === 0) throw new Error(`No JPEG samples under ${SAMPLE_FOLDERS.join(', ')}.`);
  return samples;
}

/**
 * The stack to load: a running one (--url), or one started here on a free port with a fresh data folder.
 *
 * A stack started here gets the cooldown asked for (--cooldown-seconds, else the shell's STATION_CALL_COOLDOWN_SECONDS,
 * else the product default) and a daily call cap it cannot reach: the shell's DAILY_CALL_CAP when set (to watch the
 * cap at work; the reconciliation then expects its refusals), else one call per upload of every run. The default
 * cap of 100 a UTC day is a toll-fraud guard, not what this measures: 3 runs of 16 stations place 48 calls, but a
 * longer run (one call per station per cooldown), more stations or a second invocation the same day would reach it
 * and turn calls into refusals mid-run. Its data folder is new, so none of the cap is used when it starts.
 */
async function openTarget(options: LoadOptions): Promise<Target> {
  if (options.url) {
    const s3 = createS3Client({ region: 'us-east-1', endpoint: options.s3Endpoint });
    return {
      url: options.url,
      s3,
      bucket: options.bucket,
      cooldownSeconds: options.cooldownSeconds ?? DEFAULT_STATION_CALL_COOLDOWN_SECONDS,
      close: async () => s3.destroy(),
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'waferwatch-bench-load-'));
  // Imported here, not at the top: --url runs never load the handlers, and the stack reads its env on first import.
  const { startLocalStack } = await import('../local/local-stack');
  const stack = await startLocalStack({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    env: {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // A script's uploads for stations it makes up: no sign-in, no camera keys (each key is bound to one station).
      WAFERWATCH_AUTH: 'off',
      STATION_CALL_COOLDOWN_SECONDS: String(options.cooldownSeconds ?? process.env.STATION_CALL_COOLDOWN_SECONDS ?? DEFAULT_STATION_CALL_COOLDOWN_SECONDS),
      DAILY_CALL_CAP: process.env.DAILY_CALL_CAP || String(options.uploads * options.concurrencies.length),
    },
  });
  const s3 = createS3Client({ region: 'us-east-1', endpoint: stack.env.S3_ENDPOINT });
  return {
    url: stack.url,
    s3,
    bucket: stack.env.IMAGE_BUCKET!,
    // Read back from what the handlers were configured with (their config refuses a bad value at start).
    cooldownSeconds: Number(stack.env.STATION_CALL_COOLDOWN_SECONDS),
    dailyCallCap: Number(stack.env.DAILY_CALL_CAP),
    ringTimeoutSeconds: Number(stack.env.RING_TIMEOUT_SECONDS),
    // ACK_TIMEOUT_SECONDS is left to the product default (120): the operator answers long before it.
    ackTimeoutSeconds: Number(stack.env.ACK_TIMEOUT_SECONDS || process.env.ACK_TIMEOUT_SECONDS || DEFAULT_ACK_TIMEOUT_SECONDS),
    close: async () => {
      s3.destroy();
      await stack.close();
      if (options.keepData) console.log(`data kept in ${dataDir}`);
      else await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One concurrency run: send, let the alert queue settle and the operator acknowledge every call, then reconcile the
 * run's delta of the stack's state and time each call from its upload's answer.
 */
async function runOnce(
  target: Target,
  options: LoadOptions,
  samples: Sample[],
  run: { run: number; concurrency: number; tag: string },
  policy: CallPolicy,
  operator: Operator,
): Promise<RunSummary> {
  const { concurrency } = run;
  const keysBefore = new Set(await listInspectionKeys(target));
  const earlierInspectionIds = new Set([...keysBefore].filter((key) => key.endsWith('.json')).map(inspectionIdOfKey));
  const callsBefore = new Set((await readCalls(target.url)).map((call) => call.contactId));
  const stations = stationPrefix(run.tag, run.run, concurrency);
  const plan = planUploads({
    uploads: options.uploads,
    samples: samples.length,
    stations: options.stations,
    seed: options.seed + concurrency,
    stationPrefix: stations,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const base = new URL(target.url);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 25);
  const results: UploadResult[] = [];
  // Which folder each accepted upload's sample came from, to compare with the detector's verdict afterwards.
  const sampleIsAnomalous = new Map<string, boolean>();
  let next = 0;
  const started = performance.now();
  const deadline = started + options.maxSeconds * 1000;
  // A bounded pool: `concurrency` workers, each sending its next upload when the previous one has answered.
  const worker = async () => {
    while (next < plan.length && performance.now() < deadline) {
      const upload = plan[next++]!;
      const sample = samples[upload.sampleIndex]!;
      // The tag makes the bytes new to a stack that has seen an earlier invocation's (it remembers image hashes).
      const body = options.sameBytes
        ? sample.bytes
        : withJpegComment(sample.bytes, `waferwatch bench ${run.tag} seed=${options.seed} run=${run.run} concurrency=${concurrency} upload=${upload.index}`);
      const result = await postInspection(agent, base, body, upload.stationId);
      if (result.inspectionId && isAccepted(result)) sampleIsAnomalous.set(result.inspectionId, sample.anomalous);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  agent.destroy();

  const accepted = results.filter(isAccepted);
  const created = results.filter((result) => result.status === 201).length;
  const errors = countErrors(results);
  const latency = summarizeLatencies(results.map((result) => result.latencyMs));
  const cappedAt = results.length < plan.length ? results.length : undefined;
  const answeredAt = answerTimes(results);

  // The stack's own state: new objects under inspections/, their records once every anomalous alert left the queue and
  // every ladder that rang was acknowledged (the operator answers each call), and the calls placed since the baseline.
  const newKeys = (await listInspectionKeys(target)).filter((key) => !keysBefore.has(key));
  const storedImageKeys = newKeys.filter((key) => /\.(jpg|png)$/.test(key) && !key.endsWith('.mask.png'));
  const settleStarted = performance.now();
  const records = await settleAlerts(
    target,
    await readRecords(
      target,
      newKeys.filter((key) => key.endsWith('.json')),
    ),
    options.settleSeconds,
  );
  const settleSeconds = (performance.now() - settleStarted) / 1000;
  const runCalls = (await readCalls(target.url)).filter((call) => !callsBefore.has(call.contactId));
  const calls: PlacedCall[] = runCalls.map(placedCallOf);
  const checks = reconcile(results, { earlierInspectionIds, storedImageKeys, records, calls }, policy);
  const expected = expectedAlerts(records, policy, cooldownCallsOf(calls));
  const anomalous = records.filter((record) => record.status === 'anomalous');
  const alerts = countBy(
    anomalous.map(
      (record) => record.alert.status + (record.alert.callKind === 'folded' ? ' (cooldown-end call)' : '') + (record.alert.code ? ` ${record.alert.code}` : ''),
    ),
  );
  const folded = anomalous.filter((record) => alertCategory(record.alert) === 'folded').length;
  const anomalyCalls = calls.filter((call) => !isCooldownEndCall(call));
  const cooldownCalls = calls.filter(isCooldownEndCall);
  const recordIds = new Set(records.map((record) => record.inspectionId));

  console.log(
    `\n── run ${run.run}, concurrency ${concurrency}: ${results.length} uploads from ${stations}-1…${options.stations}${cappedAt ? ` (stopped by --max-seconds ${options.maxSeconds} after ${cappedAt} of ${plan.length})` : ''}`,
  );
  console.log(
    `  accepted ${accepted.length} (201 new ${created}, 200 same image ${accepted.length - created})   errors ${results.length - accepted.length}${[...errors].map(([label, count]) => `   ${label}: ${count}`).join('')}`,
  );
  console.log(`  throughput ${(results.length / seconds).toFixed(1)} uploads/s over ${seconds.toFixed(1)} s`);
  console.log(`  latency ms  p50 ${formatMs(latency.p50)}   p95 ${formatMs(latency.p95)}   p99 ${formatMs(latency.p99)}   max ${formatMs(latency.max)}`);
  const verdictsAsLabelled = records.filter((record) => sampleIsAnomalous.get(record.inspectionId) === (record.status === 'anomalous')).length;
  console.log(
    `  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB   records by status: ${describeCounts(countBy(records.map((record) => record.status)))}   verdicts matching the sample's folder: ${verdictsAsLabelled}/${records.length}`,
  );
  console.log(
    `  alerts ${describeCounts(alerts)}, settled ${settleSeconds.toFixed(1)} s after the last upload answered; ` +
      `calls ${calls.length}: ${anomalyCalls.length} for anomalies (ladders for ${new Set(anomalyCalls.map((call) => call.inspectionId)).size} alerts, expected ${expected.calls}; ${expected.folded} folded, ${expected.capped} refused by the cap)` +
      `, ${cooldownCalls.length} cooldown-end${cooldownCalls.length > 0 ? ` (${cooldownCalls.filter((call) => recordIds.has(call.inspectionId)).length} about this run's anomalies, ${cooldownCalls.filter((call) => !recordIds.has(call.inspectionId)).length} about earlier runs')` : ''}`,
  );
  const delays = alertDelays(records);
  const decidedDelay = summarizeLatencies(delays.decided);
  const rangDelay = summarizeLatencies(delays.rang);
  console.log(
    `  alert decided after its inspection ms  p50 ${formatMs(decidedDelay.p50)}   p95 ${formatMs(decidedDelay.p95)}   max ${formatMs(decidedDelay.max)}   (the ${delays.rang.length} that rang: p50 ${formatMs(rangDelay.p50)}   max ${formatMs(rangDelay.max)})`,
  );

  const ringMs = timeToRing(calls, answeredAt);
  const ring = summarizeLatencies(ringMs);
  const goal = ringGoal(ringMs);
  console.log(
    `  time-to-ring (upload answered → its call rang), ${ringMs.length} calls: p50 ${formatSeconds(ring.p50)} s   p95 ${formatSeconds(ring.p95)} s   max ${formatSeconds(ring.max)} s` +
      `   floor ${goal.floorSeconds.toFixed(1)} s (${goal.calls} calls ÷ 2/s), goal p95 ≤ ${goal.goalSeconds.toFixed(1)} s: ${goalWord(goal)}`,
  );
  // With few calls the nearest-rank p95 is the slowest one, so show them all.
  if (ringMs.length > 0 && ringMs.length <= 40) console.log(`    each call, s: ${ringMs.map((ms) => formatSeconds(ms)).join(' ')}`);
  const waits = decidedWhileWaiting(records, calls, answeredAt);
  if (waits.length > 0) {
    const ahead = summarizeLatencies(waits.map((wait) => wait.decided));
    const folds = summarizeLatencies(waits.map((wait) => wait.folds));
    console.log(
      `    while a call waited, the queue decided other alerts of the run: p50 ${ahead.p50} (${folds.p50} folds), max ${ahead.max} (${folds.max} folds)`,
    );
  }
  const ackMs = timeToAcknowledge(records, answeredAt);
  const ack = summarizeLatencies(ackMs);
  const rang = anomalous.filter((record) => alertCategory(record.alert) === 'rang');
  console.log(
    `  time-to-ack (upload answered → key 1 acknowledged it), ${ackMs.length} of ${rang.length} alerts that rang: p50 ${formatSeconds(ack.p50)} s   p95 ${formatSeconds(ack.p95)} s   max ${formatSeconds(ack.max)} s`,
  );
  const watched = runCalls.filter((call) => operator.watches(call));
  console.log(
    `  operator on the ${watched.length} calls of this invocation's stations: ${describeCounts(countBy(watched.map((call) => operator.outcome(call.contactId))))}`,
  );

  console.log(
    `  reconciliation (policy: station cooldown ${policy.cooldownMs / 1000} s, same image once, ${Number.isFinite(policy.dailyCallsLeft) ? `${policy.dailyCallsLeft} calls left today` : 'daily cap not expected to be reached'}):`,
  );
  for (const check of checks)
    console.log(`    ${check.ok ? 'OK      ' : 'MISMATCH'}  ${check.name.padEnd(42)} expected ${check.expected}, got ${check.actual}`);
  const unsettled = anomalous.filter(
    (record) => record.alert.status === 'queued' || (alertCategory(record.alert) === 'rang' && record.alert.status !== 'acknowledged'),
  );
  if (unsettled.length > 0) {
    console.log(
      `    still queued or not acknowledged after --settle-seconds ${options.settleSeconds}: ${unsettled
        .slice(0, 5)
        .map((record) => `${record.inspectionId} (${record.alert.status})`)
        .join(', ')}${unsettled.length > 5 ? ', …' : ''}`,
    );
  }
  const byId = new Map(records.map((record) => [record.inspectionId, record]));
  for (const record of anomalous.filter(
    (candidate) => alertCategory(candidate.alert) === 'folded' && !(candidate.alert.callKind === 'folded' && !candidate.alert.viaInspectionId),
  )) {
    const intoId = record.alert.viaInspectionId ?? record.alert.intoInspectionId;
    const into = byId.get(intoId ?? '');
    if (into && into.stationId === record.stationId && hasOwnCalls(into.alert)) continue;
    const where = into ? `station ${into.stationId}, alert ${into.alert.status}` : 'not a record of this run';
    console.log(`    ${record.inspectionId} (station ${record.stationId}) folded into ${intoId ?? '?'} (${where})`);
  }
  if (!Number.isFinite(policy.dailyCallsLeft) && records.some((record) => record.alert.code === 'DAILY_CALL_CAP_REACHED')) {
    console.log(
      `    the stack's DAILY_CALL_CAP (default 100 a UTC day, kept in its data folder across restarts) is reached: start it with a higher DAILY_CALL_CAP to benchmark calls`,
    );
  }

  return {
    concurrency,
    sent: results.length,
    accepted: accepted.length,
    errors: results.length - accepted.length,
    calls: calls.length,
    rang: rang.length,
    folded,
    ring,
    goal,
    ack,
    acknowledged: rang.filter((record) => record.alert.status === 'acknowledged').length,
    seconds,
    latency,
    peakRssMb: peakRss / 2 ** 20,
    checks,
    ...(cappedAt ? { cappedAt } : {}),
  };
}

function goalWord(goal: RingGoal): string {
  return goal.met === undefined ? 'n/a (no calls)' : goal.met ? 'met' : 'NOT met';
}

function placedCallOf(call: CallView): PlacedCall {
  const { attributes } = call;
  return {
    contactId: call.contactId,
    inspectionId: attributes.inspectionId ?? '',
    ...(attributes.stationId ? { stationId: attributes.stationId } : {}),
    ...(attributes.callKind ? { callKind: attributes.callKind } : {}),
    ...(attributes.escalationLevel ? { level: attributes.escalationLevel } : {}),
    ...(attributes.escalationLoop ? { loop: attributes.escalationLoop } : {}),
    ...(attributes.contactName ? { contactName: attributes.contactName } : {}),
    ...(call.createdAt ? { startedAt: call.createdAt } : {}),
  };
}

/** `inspections/2026/11/26/<id>.json` → `<id>`. */
function inspectionIdOfKey(key: string): string {
  return path.posix.basename(key).replace(/\..*$/, '');
}

/**
 * POST one raw JPEG, without credentials (the stack runs with WAFERWATCH_AUTH=off); never throws: a socket failure is a
 * result with status 0 and the error's code.
 */
function postInspection(agent: Agent, base: URL, body: Buffer, stationId: string): Promise<UploadResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (result: Omit<UploadResult, 'latencyMs' | 'answeredAtMs'>) =>
      resolve({ ...result, latencyMs: performance.now() - started, answeredAtMs: Date.now() });
    const outgoing = request(
      {
        // localhost may resolve to ::1 first while the stack listens on 127.0.0.1.
        hostname: base.hostname === 'localhost' ? '127.0.0.1' : base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port,
        path: '/inspections',
        method: 'POST',
        agent,
        timeout: UPLOAD_TIMEOUT_MS,
        headers: {
          Host: base.host,
          'Content-Type': 'image/jpeg',
          'Content-Length': body.byteLength,
          'X-Station-Id': stationId,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, errorCode: error.code ?? error.name }));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          let parsed: { inspectionId?: unknown; image?: { key?: unknown }; error?: { code?: unknown; inspectionId?: unknown }; message?: unknown } | undefined;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
          } catch {
            parsed = undefined;
          }
          // 201: a new inspection; 200: the same bytes were inspected before, this is that inspection.
          if ((status === 201 || status === 200) && typeof parsed?.inspectionId === 'string' && typeof parsed.image?.key === 'string') {
            finish({ status, inspectionId: parsed.inspectionId, imageKey: parsed.image.key });
          } else if (status === 201 || status === 200) {
            finish({ status: 0, errorCode: `MALFORMED_${status}` });
          } else {
            const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : typeof parsed?.message === 'string' ? parsed.message : undefined;
            // An error that names its inspection kept the image and a record (e.g. 503 DETECTOR_UNAVAILABLE).
            const kept = typeof parsed?.error?.inspectionId === 'string' ? parsed.error.inspectionId : undefined;
            finish({ status, ...(code ? { errorCode: code } : {}), ...(kept ? { inspectionId: kept } : {}) });
          }
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('upload timed out'), { code: 'CLIENT_TIMEOUT' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, errorCode: error.code ?? error.name }));
    outgoing.end(body);
  });
}

/** Every key under inspections/, through ListObjectsV2 pages (GET /inspections has no cursor and stops at 100). */
async function listInspectionKeys(target: Target): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await target.s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: 'inspections/', ContinuationToken: token, MaxKeys: 1000 }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The stored records, read back from S3 a few at a time. */
async function readRecords(target: Target, keys: readonly string[]): Promise<RecordSummary[]> {
  const records: RecordSummary[] = [];
  let next = 0;
  const reader = async () => {
    while (next < keys.length) records.push(await readRecord(target, keys[next++]!));
  };
  await Promise.all(Array.from({ length: 8 }, reader));
  return records;
}

async function readRecord(target: Target, key: string): Promise<RecordSummary> {
  const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  const record = JSON.parse(await object.Body!.transformToString()) as {
    inspectionId: string;
    stationId: string;
    status: string;
    createdAt: string;
    image: { sha256: string };
    alert: unknown;
  };
  return {
    inspectionId: record.inspectionId,
    stationId: record.stationId,
    status: record.status,
    createdAt: record.createdAt,
    sha256: record.image.sha256,
    alert: summarizeAlert(record.alert),
  };
}

/**
 * The records once every anomalous alert has left the queue (rang, folded or failed) and every alert that rang is
 * acknowledged (the operator presses 1 on each call), or as they stand after `settleSeconds`. Only the records still
 * queued or ringing are read again.
 */
async function settleAlerts(target: Target, records: RecordSummary[], settleSeconds: number): Promise<RecordSummary[]> {
  const until = performance.now() + settleSeconds * 1000;
  const byId = new Map(records.map((record) => [record.inspectionId, record]));
  for (;;) {
    const open = [...byId.values()].filter(
      (record) =>
        record.status === 'anomalous' && (record.alert.status === 'queued' || (alertCategory(record.alert) === 'rang' && record.alert.status === 'ringing')),
    );
    if (open.length === 0 || performance.now() >= until) return [...byId.values()];
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const keys = open.map((record) => recordKey(record.inspectionId));
    for (const record of await readRecords(target, keys)) byId.set(record.inspectionId, record);
  }
}

/** One call of GET /_local/calls (local/local-services.ts LocalCallView), as far as the benchmark reads it. */
interface CallView {
  contactId: string;
  attributes: Record<string, string>;
  /** When it started ringing (the emulator's startedAt). */
  createdAt: string;
  status: string;
}

async function readCalls(url: string, signal?: AbortSignal): Promise<CallView[]> {
  const response = await fetch(`${url}/_local/calls`, { ...(signal ? { signal } : {}) });
  if (!response.ok) throw new Error(`GET /_local/calls answered ${response.status}`);
  return ((await response.json()) as { calls: CallView[] }).calls;
}

/** The simulated operator: picks up the benchmark's calls and presses 1. */
interface Operator {
  /** True for a call of the benchmark's stations (the calls the operator picks up). */
  watches(call: CallView): boolean;
  /** What became of a call: `key 1: recorded` when the key acknowledged it, else what went wrong or `not seen yet`. */
  outcome(contactId: string): string;
  /** Stop listing calls, drop the answers not due yet and wait for those under way. */
  stop(): Promise<void>;
}

/**
 * Poll GET /_local/calls every OPERATOR_POLL_MS (one request at a time) and, for each new call of a station named
 * `stationPrefix…`, `answerAfterMs` after it started ringing: answer it (GET /_local/phone/{id}, which runs the
 * contact flow until it asks for a key) and press 1 (POST /_local/phone/{id}/keys), which records "keep manufacturing"
 * and acknowledges the alert. Never throws: each call's outcome says what happened.
 */
function startOperator(input: { url: string; stationPrefix: string; answerAfterMs: number }): Operator {
  const outcomes = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const answering = new Set<Promise<void>>();
  let stopped = false;
  let wake: (() => void) | undefined;
  const watches = (call: CallView) => (call.attributes.stationId ?? '').startsWith(input.stationPrefix);

  const request = async (
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: { error?: { code?: string }; decision?: { status?: string } | null } }> => {
    const response = await fetch(`${input.url}${path}`, { ...init, signal: AbortSignal.timeout(OPERATOR_REQUEST_TIMEOUT_MS) });
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string }; decision?: { status?: string } | null };
    return { status: response.status, body };
  };
  const answer = async (contactId: string) => {
    const id = encodeURIComponent(contactId);
    try {
      outcomes.set(contactId, 'answering');
      const picked = await request(`/_local/phone/${id}`);
      if (picked.status !== 200) {
        outcomes.set(contactId, `answer ${picked.status} ${picked.body.error?.code ?? ''}`.trim());
        return;
      }
      const pressed = await request(`/_local/phone/${id}/keys`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: '1' }),
      });
      outcomes.set(
        contactId,
        pressed.status === 200
          ? `key 1: ${pressed.body.decision?.status ?? 'no decision'}`
          : `key 1 ${pressed.status} ${pressed.body.error?.code ?? ''}`.trim(),
      );
    } catch (error) {
      outcomes.set(contactId, `failed: ${error instanceof Error ? error.name : String(error)}`);
    }
  };
  const schedule = (call: CallView) => {
    outcomes.set(call.contactId, 'ringing');
    const startedAt = Date.parse(call.createdAt);
    const delay = Math.max(0, (Number.isFinite(startedAt) ? startedAt : Date.now()) + input.answerAfterMs - Date.now());
    const timer = setTimeout(() => {
      timers.delete(timer);
      const work = answer(call.contactId).finally(() => answering.delete(work));
      answering.add(work);
    }, delay);
    timers.add(timer);
  };
  const poll = async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        for (const call of await readCalls(input.url, AbortSignal.timeout(OPERATOR_REQUEST_TIMEOUT_MS))) {
          if (!outcomes.has(call.contactId) && watches(call)) schedule(call);
        }
      } catch {
        // The next poll tries again; a call never seen says so in its outcome.
      }
      const pause = Math.max(0, OPERATOR_POLL_MS - (performance.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const polling = poll();
  return {
    watches,
    outcome: (contactId) => outcomes.get(contactId) ?? 'not seen yet',
    stop: async () => {
      stopped = true;
      wake?.();
      await polling;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...answering]);
    },
  };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

function describeCounts(counts: Map<string, number>): string {
  return [...counts].map(([value, count]) => `${value} ${count}`).join(', ') || 'none';
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return 2;
});
