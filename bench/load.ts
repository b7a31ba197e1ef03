/**
 * Load benchmark of the local stack: POST /inspections with raw JPEG bodies at several concurrencies, then reconcile
 * what the stack itself stored (s3rver, through the real S3 client) and called (the Connect emulator) against what
 * the client was told and what the alert policy expects. Exits 1 on any mismatch, 2 on a bad command line.
 *
 *   npm run bench:load -- [--uploads 500] [--concurrency 1,8,32] [--max-seconds 300]
 *   npm run bench:load -- --url http://localhost:3000 --s3-endpoint http://localhost:<s3rver port>
 *
 * The stack runs in this process unless --url is given, so the numbers include the client's own work on the
 * same cores, and the peak RSS is the stack's and the client's together.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createS3Client } from '../functions/adapters/aws-clients';
import {
  countErrors,
  CURRENT_CALL_POLICY,
  expectedCallCount,
  formatMs,
  LOAD_USAGE,
  LoadArgumentError,
  parseLoadArgs,
  planUploads,
  reconcile,
  summarizeLatencies,
  withJpegComment,
  type CallPolicy,
  type LoadOptions,
  type ReconciliationCheck,
  type RecordSummary,
  type UploadResult,
} from './load-benchmark';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE_FOLDERS = ['samples/wafer-photos/good', 'samples/wafer-photos/anomalous'];
/** A single upload stuck longer than API Gateway's 29 s is a failure, not a slow success. */
const UPLOAD_TIMEOUT_MS = 35_000;

interface Target {
  url: string;
  s3: S3Client;
  bucket: string;
  close(): Promise<void>;
}

interface RunSummary {
  concurrency: number;
  sent: number;
  accepted: number;
  errors: number;
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
  console.log(`waferwatch load benchmark: POST /inspections, raw JPEG bodies (${samples.length} samples: ${samples.filter((s) => s.anomalous).length} anomalous)`);
  console.log(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} at start, node ${process.version}`);

  const target = await openTarget(options);
  console.log(`target: ${target.url}${options.url ? ' (a running stack: the peak RSS below is this client\'s alone)' : ' (started in this process: client and stack share the cores and the RSS)'}`);
  const policy = CURRENT_CALL_POLICY;
  const runs: RunSummary[] = [];
  try {
    for (const concurrency of options.concurrencies) {
      runs.push(await runOnce(target, options, samples, concurrency, policy));
    }
  } finally {
    await target.close();
  }

  console.log(`\n| concurrency | uploads | accepted | errors | uploads/s | p50 ms | p95 ms | p99 ms | max ms | peak RSS MB | reconciliation |`);
  console.log(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  for (const run of runs) {
    const ok = run.checks.every((check) => check.ok);
    const calls = run.checks.find((check) => check.name.startsWith('calls ='))!;
    console.log(
      `| ${run.concurrency} | ${run.sent}${run.cappedAt ? ` (capped)` : ''} | ${run.accepted} | ${run.errors} | ${(run.sent / run.seconds).toFixed(1)} | ${formatMs(run.latency.p50)} | ${formatMs(run.latency.p95)} | ${formatMs(run.latency.p99)} | ${formatMs(run.latency.max)} | ${run.peakRssMb.toFixed(0)} | ${ok ? 'OK' : 'MISMATCH'} (calls ${calls.actual}/${calls.expected}) |`,
    );
  }
  console.log(`load average at end: ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);
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

/** The stack to load: a running one (--url), or one started here on a free port with a fresh data folder. */
async function openTarget(options: LoadOptions): Promise<Target> {
  if (options.url) {
    const s3 = createS3Client({ region: 'us-east-1', endpoint: options.s3Endpoint });
    return { url: options.url, s3, bucket: options.bucket, close: async () => s3.destroy() };
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
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const s3 = createS3Client({ region: 'us-east-1', endpoint: stack.env.S3_ENDPOINT });
  return {
    url: stack.url,
    s3,
    bucket: stack.env.IMAGE_BUCKET!,
    close: async () => {
      s3.destroy();
      await stack.close();
      if (options.keepData) console.log(`data kept in ${dataDir}`);
      else await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One concurrency run: send, then reconcile the run's delta of the stack's state. */
async function runOnce(target: Target, options: LoadOptions, samples: Sample[], concurrency: number, policy: CallPolicy): Promise<RunSummary> {
  const keysBefore = new Set(await listInspectionKeys(target));
  const callsBefore = new Set((await readCalls(target.url)).map((call) => call.contactId));
  const plan = planUploads({ uploads: options.uploads, samples: samples.length, stations: options.stations, seed: options.seed + concurrency });
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
      const body = options.sameBytes ? sample.bytes : withJpegComment(sample.bytes, `waferwatch bench seed=${options.seed} concurrency=${concurrency} upload=${upload.index}`);
      const result = await postInspection(agent, base, body, upload.stationId);
      if (result.inspectionId) sampleIsAnomalous.set(result.inspectionId, sample.anomalous);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  agent.destroy();

  const accepted = results.filter((result) => result.status === 201);
  const errors = countErrors(results);
  const latency = summarizeLatencies(results.map((result) => result.latencyMs));
  const cappedAt = results.length < plan.length ? results.length : undefined;

  // The stack's own state: new objects under inspections/, their records, and the calls placed since the baseline.
  const newKeys = (await listInspectionKeys(target)).filter((key) => !keysBefore.has(key));
  const storedImageKeys = newKeys.filter((key) => /\.(jpg|png)$/.test(key) && !key.endsWith('.mask.png'));
  const records = await readRecords(target, newKeys.filter((key) => key.endsWith('.json')));
  const expectedCalls = expectedCallCount(records, policy);
  const newCalls = await settleCalls(target.url, callsBefore, expectedCalls, options.settleSeconds);
  const checks = reconcile(accepted, { storedImageKeys, records, calledInspectionIds: newCalls.map((call) => call.attributes.inspectionId ?? '') }, policy);

  console.log(`\n── concurrency ${concurrency}: ${results.length} uploads${cappedAt ? ` (stopped by --max-seconds ${options.maxSeconds} after ${cappedAt} of ${plan.length})` : ''}`);
  console.log(`  accepted (201) ${accepted.length}   errors ${results.length - accepted.length}${[...errors].map(([label, count]) => `   ${label}: ${count}`).join('')}`);
  console.log(`  throughput ${(results.length / seconds).toFixed(1)} uploads/s over ${seconds.toFixed(1)} s`);
  console.log(`  latency ms  p50 ${formatMs(latency.p50)}   p95 ${formatMs(latency.p95)}   p99 ${formatMs(latency.p99)}   max ${formatMs(latency.max)}`);
  const verdictsAsLabelled = records.filter((record) => sampleIsAnomalous.get(record.inspectionId) === (record.status === 'anomalous')).length;
  console.log(`  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB   records by status: ${describeStatuses(records)}   verdicts matching the sample's folder: ${verdictsAsLabelled}/${records.length}`);
  console.log(`  reconciliation (policy: cooldown ${policy.cooldownMs / 1000} s, same-image de-duplication ${policy.dedupeSameImage ? 'on' : 'off'}):`);
  for (const check of checks) console.log(`    ${check.ok ? 'OK      ' : 'MISMATCH'}  ${check.name.padEnd(40)} expected ${check.expected}, got ${check.actual}`);

  return { concurrency, sent: results.length, accepted: accepted.length, errors: results.length - accepted.length, seconds, latency, peakRssMb: peakRss / 2 ** 20, checks, ...(cappedAt ? { cappedAt } : {}) };
}

/** POST one raw JPEG; never throws: a socket failure is a result with status 0 and the error's code. */
function postInspection(agent: Agent, base: URL, body: Buffer, stationId: string): Promise<UploadResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (result: Omit<UploadResult, 'latencyMs'>) => resolve({ ...result, latencyMs: performance.now() - started });
    const outgoing = request(
      {
        // localhost may resolve to ::1 first while the stack listens on 127.0.0.1.
        hostname: base.hostname === 'localhost' ? '127.0.0.1' : base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port,
        path: '/inspections',
        method: 'POST',
        agent,
        timeout: UPLOAD_TIMEOUT_MS,
        headers: { Host: base.host, 'Content-Type': 'image/jpeg', 'Content-Length': body.byteLength, 'X-Station-Id': stationId },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, errorCode: error.code ?? error.name }));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          let parsed: { inspectionId?: unknown; image?: { key?: unknown }; error?: { code?: unknown }; message?: unknown } | undefined;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          if (status === 201 && typeof parsed?.inspectionId === 'string' && typeof parsed.image?.key === 'string') {
            finish({ status, inspectionId: parsed.inspectionId, imageKey: parsed.image.key });
          } else if (status === 201) {
            finish({ status: 0, errorCode: 'MALFORMED_201' });
          } else {
            const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : typeof parsed?.message === 'string' ? parsed.message : undefined;
            finish({ status, ...(code ? { errorCode: code } : {}) });
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
async function readRecords(target: Target, keys: string[]): Promise<RecordSummary[]> {
  const records: RecordSummary[] = [];
  let next = 0;
  const reader = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
      const record = JSON.parse(await object.Body!.transformToString()) as { inspectionId: string; stationId: string; status: string; createdAt: string; image: { sha256: string } };
      records.push({ inspectionId: record.inspectionId, stationId: record.stationId, status: record.status, createdAt: record.createdAt, sha256: record.image.sha256 });
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));
  return records;
}

interface CallView {
  contactId: string;
  attributes: Record<string, string>;
}

async function readCalls(url: string): Promise<CallView[]> {
  const response = await fetch(`${url}/_local/calls`);
  if (!response.ok) throw new Error(`GET /_local/calls answered ${response.status}`);
  return ((await response.json()) as { calls: CallView[] }).calls;
}

/**
 * The calls placed since the baseline. Calls that arrive after the upload answered (an alert queue) get up to
 * `settleSeconds` to reach the expected count; today they are placed before the upload answers.
 */
async function settleCalls(url: string, before: Set<string>, expected: number, settleSeconds: number): Promise<CallView[]> {
  const until = performance.now() + settleSeconds * 1000;
  for (;;) {
    const calls = (await readCalls(url)).filter((call) => !before.has(call.contactId));
    if (calls.length >= expected || performance.now() >= until) return calls;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function describeStatuses(records: RecordSummary[]): string {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status} ${count}`).join(', ') || 'none';
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  return 2;
});
