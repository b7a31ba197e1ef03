// `npm run model:publish -- --station litho-3 --model <file.wwm|.onnx> [--labelled <dir>] [--dry-run] [targets]`:
// publish a trained model for one station behind a gate. With --labelled (a folder holding normal/ and anomalous/),
// the candidate and the station's current model (its registry `model`, or the stage's default when it names none) are
// both run on that folder, each at its own threshold, and the candidate is refused (exit 1, nothing written) when it
// finds fewer anomalous wafers (recall) or calls more normal ones (false-call rate) than the current model. Then the
// file is uploaded to the image bucket at models/<station>/<sha256>.<ext> (PutObject, encrypted by the bucket's
// default) and the station pointed at { uri: s3://…, type, sha256 } in the registry, the model it used kept at the
// head of its history.
//
// `npm run model:rollback -- --station litho-3 [--dry-run] [targets]`: put back the model the station used before.
//
// Targets: --stage STAGE [--region R] reads the stack outputs ImageBucketName and StationRegistryTableName; --bucket
// and --table name them (or override the outputs); --endpoint URL points DynamoDB, --s3-endpoint URL S3 at local
// emulators. Uses the deployer's usual AWS credentials.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readStackOutputs, stackNameOf } from './stack-outputs';
import { createDynamoDbClient, createS3Client } from '../functions/adapters/aws-clients';
import { toDocumentClient } from '../functions/adapters/dynamodb/dynamodb-alert-state-store';
import {
  DynamoDbStationRegistry,
  StationModelChangeError,
  type StationEntry,
  type StationModelChange,
} from '../functions/adapters/dynamodb/dynamodb-station-registry';
import { detectorConfig } from '../functions/config/detector';
import { parseEnvironment } from '../functions/config/environment';
import { regionConfig } from '../functions/config/region';
import { STATION_ID } from '../functions/core/camera-upload';
import type { Detector } from '../functions/core/ports/detector';
import { modelSpecOf, type ModelSpec, type StationModel } from '../functions/core/station-registry';
import { checkWaferImage } from '../functions/core/validate-wafer-image';
import type { DetectorConfig } from '../functions/wiring/shared/detector';
import { loadStationModel } from '../functions/wiring/shared/station-detectors';
import { allowedPrefixesFrom } from './import-stations';

/** A mistake of the caller's or a refusal (unknown station, bad folder, gate): one line, exit code 1, no stack trace. */
export class ModelCommandError extends Error {
  override name = 'ModelCommandError';
}

/** Where models are published: the image bucket and the station registry. */
export interface ModelTargets {
  s3: S3Client;
  bucket: string;
  registry: DynamoDbStationRegistry;
  /** The settings models are loaded with (region, ONNX threshold and normalisation, SageMaker endpoint override). */
  detectorConfig: DetectorConfig;
  /** The model of a station that names none (the stage's default); from the detector settings when unset. */
  defaultModel?: ModelSpec;
}

/** A labelled folder: normal/ and anomalous/ images. */
export interface LabelledFolder {
  dir: string;
  normals: { name: string; bytes: Uint8Array }[];
  anomalous: { name: string; bytes: Uint8Array }[];
}

/** How one model did on a labelled folder, at its own threshold. */
export interface ModelEvaluation {
  /** `current` or `candidate`. */
  role: string;
  /** The model as the registry names it (or the candidate's file). */
  model: string;
  /** The threshold the verdicts were made at, as text (the embedded model's score, ONNX pred_score, an endpoint's own). */
  threshold: string;
  normals: number;
  falseCalls: string[];
  anomalous: number;
  misses: string[];
}

/** The gate's decision: the candidate passes unless it finds fewer anomalies or calls more normals than the current model. */
export interface GateDecision {
  pass: boolean;
  reasons: string[];
}

/** What publishModel did (or, with dryRun, would do). */
export interface PublishResult {
  stationId: string;
  /** The model the station used before (undefined: the stage's default). */
  previous?: StationModel;
  /** What it was evaluated as when it named none. */
  previousEffective: ModelSpec;
  /** The model the station is pointed at. */
  published: { uri: string; type: 'embedded' | 'onnx'; sha256: string };
  evaluation?: { current: ModelEvaluation; candidate: ModelEvaluation; gate: GateDecision; folder: string };
  /** The bucket already held these bytes at the key (published before): nothing uploaded. */
  alreadyUploaded: boolean;
  /** The station already used exactly this model: nothing written. */
  alreadyCurrent: boolean;
  dryRun: boolean;
  change?: StationModelChange;
}

const IMAGE_FILE = /\.(jpe?g|png)$/i;
/** Images the product accepts (the camera path's size limit, the API's sides): others could never be inspected. */
const EVALUATION_LIMITS = { maxBytes: 20 * 1024 * 1024, minSide: 64, maxSide: 4096 };

/** Read a labelled folder: `<dir>/normal/` and `<dir>/anomalous/`, each with at least one .jpg/.jpeg/.png. */
export async function readLabelledFolder(dir: string): Promise<LabelledFolder> {
  const read = async (label: 'normal' | 'anomalous') => {
    const folder = path.join(dir, label);
    let names: string[];
    try {
      names = (await readdir(folder)).filter((name) => IMAGE_FILE.test(name)).sort();
    } catch {
      throw new ModelCommandError(`--labelled ${dir} has no ${label}/ folder: it must hold normal/ and anomalous/ images.`);
    }
    if (names.length === 0) throw new ModelCommandError(`--labelled ${dir}: ${label}/ holds no .jpg, .jpeg or .png images.`);
    return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(path.join(folder, name)) })));
  };
  return { dir, normals: await read('normal'), anomalous: await read('anomalous') };
}

/** Run one detector over a labelled folder; every verdict at the model's own threshold (IsAnomalous). */
export async function evaluateDetector(detector: Detector, folder: LabelledFolder, role: string, model: string, threshold: string): Promise<ModelEvaluation> {
  const calls = async (images: LabelledFolder['normals'], label: string) => {
    const called: string[] = [];
    const passed: string[] = [];
    for (const { name, bytes } of images) {
      let image;
      try {
        image = checkWaferImage(bytes, EVALUATION_LIMITS);
      } catch (error) {
        throw new ModelCommandError(`${path.join(folder.dir, label, name)} cannot be inspected: ${error instanceof Error ? error.message : String(error)}`);
      }
      const prepared = detector.prepare ? await detector.prepare(image) : undefined;
      const result = await detector.detect(image, prepared);
      (result.IsAnomalous ? called : passed).push(name);
    }
    return { called, passed };
  };
  const normals = await calls(folder.normals, 'normal');
  const anomalous = await calls(folder.anomalous, 'anomalous');
  return { role, model, threshold, normals: folder.normals.length, falseCalls: normals.called, anomalous: folder.anomalous.length, misses: anomalous.passed };
}

/** Refuse a candidate with lower recall or a higher false-call rate than the current model (the same folder: compare counts). */
export function gateDecision(current: ModelEvaluation, candidate: ModelEvaluation): GateDecision {
  const reasons: string[] = [];
  const found = (e: ModelEvaluation) => e.anomalous - e.misses.length;
  if (found(candidate) < found(current))
    reasons.push(
      `lower recall: it finds ${found(candidate)}/${candidate.anomalous} anomalous wafers, the current model ${found(current)}/${current.anomalous}`,
    );
  if (candidate.falseCalls.length > current.falseCalls.length)
    reasons.push(
      `a higher false-call rate: it calls ${candidate.falseCalls.length}/${candidate.normals} normal wafers, the current model ${current.falseCalls.length}/${current.normals}`,
    );
  return { pass: reasons.length === 0, reasons };
}

/** The evaluation as a table: one row per model, recall and false-call rate, then what each missed or called. */
export function formatEvaluation(rows: ModelEvaluation[], folderDir: string): string {
  const first = rows[0]!;
  const percent = (k: number, n: number) => `${k}/${n} ${((100 * k) / n).toFixed(1).padStart(5)} %`;
  const table = [
    ['', 'MODEL', 'THRESHOLD', 'RECALL (anomalous found)', 'FALSE CALLS (normals called)'],
    // A content-addressed key shortened to its first 12 hex digits; the exact model is printed in full below the table.
    ...rows.map((r) => [
      r.role,
      r.model.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/, '$1…'),
      r.threshold,
      percent(r.anomalous - r.misses.length, r.anomalous),
      percent(r.falseCalls.length, r.normals),
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = [
    `Evaluation on ${folderDir} (${first.normals} normal, ${first.anomalous} anomalous), each model at its own threshold:`,
    ...table.map((row) => '  ' + row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')),
  ];
  for (const r of rows) {
    if (r.misses.length) lines.push(`  ${r.role} missed: ${r.misses.join(', ')}`);
    if (r.falseCalls.length) lines.push(`  ${r.role} called normal: ${r.falseCalls.join(', ')}`);
  }
  return lines.join('\n');
}

/** The model a station that names none is judged by: `defaultModel`, else the stage's detector settings. */
export function stageDefaultModel(config: DetectorConfig): ModelSpec {
  if (config.DETECTOR === 'onnx')
    return { uri: config.ONNX_MODEL_URI!, type: 'onnx', ...(config.ONNX_MODEL_SHA256 ? { sha256: config.ONNX_MODEL_SHA256 } : {}) };
  if (config.DETECTOR === 'sagemaker') return { uri: config.SAGEMAKER_ENDPOINT_NAME!, type: 'sagemaker' };
  if (config.DETECTOR === 'lookoutvision')
    throw new ModelCommandError(
      "The stage's default detector is Lookout for Vision, which cannot be evaluated here; name the model the station is judged by with --default-model.",
    );
  return { uri: config.EMBEDDED_MODEL_URI, type: 'embedded' };
}

/** The text a model's verdicts are made at. */
function thresholdOf(detector: Detector, spec: ModelSpec, config: DetectorConfig): string {
  if (spec.type === 'sagemaker') return "the endpoint's own";
  if (spec.type === 'onnx') return `pred_score ≥ ${config.ONNX_THRESHOLD}`;
  const threshold = (detector as { model?: { threshold?: unknown } }).model?.threshold;
  return typeof threshold === 'number' ? `score > ${threshold.toFixed(3)}` : 'its own';
}

async function release(detector: Detector): Promise<void> {
  const releasable = detector as { release?: () => Promise<void> };
  if (typeof releasable.release === 'function') await releasable.release();
}

/** Load a model as the inspect function would (its bytes checked against its sha256), with a clear error when it cannot. */
async function loadModel(spec: ModelSpec, targets: ModelTargets, what: string): Promise<Detector> {
  try {
    return (await loadStationModel(spec, targets.detectorConfig, targets.s3)).detector;
  } catch (error) {
    throw new ModelCommandError(`${what} ${spec.uri} cannot be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** The registry entry of a station, or a one-line error naming what to do. */
async function stationEntry(targets: ModelTargets, stationId: string): Promise<StationEntry> {
  if (!STATION_ID.test(stationId))
    throw new ModelCommandError(`"${stationId}" is not a station id: 1 to 64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)`);
  const entry = await targets.registry.readStationEntry(stationId);
  if (!entry) throw new ModelCommandError(`Unknown station "${stationId}": it is not in the station registry (import it with npm run stations:import).`);
  return entry;
}

/** The model a station is judged by now, spelled out: its own, or the stage's default. */
function effectiveModel(model: StationModel | undefined, targets: ModelTargets): ModelSpec {
  return model !== undefined ? modelSpecOf(model) : (targets.defaultModel ?? stageDefaultModel(targets.detectorConfig));
}

/**
 * Publish a model file for one station: gate it on `labelled` when given (refusing with ModelCommandError, nothing
 * written), upload it content-addressed, point the station at it keeping the previous model in its history. With
 * `dryRun`, only evaluate and say what would be done.
 */
export async function publishModel(
  targets: ModelTargets,
  request: { stationId: string; file: string; type?: 'embedded' | 'onnx'; labelled?: string; dryRun?: boolean },
): Promise<PublishResult> {
  const entry = await stationEntry(targets, request.stationId);
  let bytes: Buffer;
  try {
    bytes = await readFile(request.file);
  } catch (error) {
    throw new ModelCommandError(`--model ${request.file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const type = request.type ?? (/\.onnx$/i.test(request.file) ? 'onnx' : /\.wwm$/i.test(request.file) ? 'embedded' : undefined);
  if (!type) throw new ModelCommandError(`--model ${request.file}: name a .wwm (embedded) or .onnx (anomalib export) file, or give --type.`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `models/${request.stationId}/${sha256}.${type === 'onnx' ? 'onnx' : 'wwm'}`;
  const published = { uri: `s3://${targets.bucket}/${key}`, type, sha256 } as const;
  const candidateSpec: ModelSpec = { uri: path.resolve(request.file), type, sha256 };
  const currentSpec = effectiveModel(entry.station.model, targets);

  // Even without a gate, a file the function could not load is never published.
  const candidate = await loadModel(candidateSpec, targets, 'The candidate model');
  let evaluation: PublishResult['evaluation'];
  try {
    if (request.labelled) {
      const folder = await readLabelledFolder(request.labelled);
      const current = await loadModel(currentSpec, targets, `The station's current model${entry.station.model === undefined ? " (the stage's default)" : ''}`);
      try {
        const currentRow = await evaluateDetector(
          current,
          folder,
          'current',
          entry.station.model === undefined ? `${currentSpec.uri} (stage default)` : currentSpec.uri,
          thresholdOf(current, currentSpec, targets.detectorConfig),
        );
        const candidateRow = await evaluateDetector(
          candidate,
          folder,
          'candidate',
          request.file,
          thresholdOf(candidate, candidateSpec, targets.detectorConfig),
        );
        evaluation = { current: currentRow, candidate: candidateRow, gate: gateDecision(currentRow, candidateRow), folder: request.labelled };
      } finally {
        await release(current);
      }
    }
  } finally {
    await release(candidate);
  }
  const base = {
    stationId: request.stationId,
    ...(entry.station.model !== undefined ? { previous: entry.station.model } : {}),
    previousEffective: currentSpec,
    published,
    ...(evaluation ? { evaluation } : {}),
    dryRun: request.dryRun ?? false,
  };
  if (evaluation && !evaluation.gate.pass) return { ...base, alreadyUploaded: false, alreadyCurrent: false };
  const alreadyCurrent = currentSpec.uri === published.uri && currentSpec.sha256 === sha256;
  const alreadyUploaded = await objectHasSize(targets, key, bytes.byteLength);
  if (request.dryRun || alreadyCurrent) return { ...base, alreadyUploaded, alreadyCurrent };
  if (!alreadyUploaded) {
    // No ServerSideEncryption header: the bucket's default encryption applies (SSE-S3 on the image bucket).
    await targets.s3.send(
      new PutObjectCommand({
        Bucket: targets.bucket,
        Key: key,
        Body: bytes,
        ContentType: 'application/octet-stream',
        Metadata: { sha256, station: request.stationId, 'source-file': path.basename(request.file) },
      }),
    );
    if (!(await objectHasSize(targets, key, bytes.byteLength)))
      throw new ModelCommandError(`The upload of s3://${targets.bucket}/${key} could not be read back.`);
  }
  // Only onto the registry version the gate was run against: a change meanwhile is refused, not overwritten.
  const change = await targets.registry.setStationModel(request.stationId, published, { expectedVersion: entry.version });
  return { ...base, alreadyUploaded, alreadyCurrent: false, change };
}

/** Put back the model a station used before its current one; with `dryRun`, only say which. */
export async function rollbackModel(
  targets: Pick<ModelTargets, 'registry'> & Partial<Pick<ModelTargets, 's3' | 'bucket'>>,
  request: { stationId: string; dryRun?: boolean },
): Promise<{ change: StationModelChange; dryRun: boolean; historyLeft: number }> {
  if (!STATION_ID.test(request.stationId)) throw new ModelCommandError(`"${request.stationId}" is not a station id`);
  const entry = await targets.registry.readStationEntry(request.stationId);
  if (!entry)
    throw new ModelCommandError(`Unknown station "${request.stationId}": it is not in the station registry (import it with npm run stations:import).`);
  const [head, ...rest] = entry.history;
  if (!head) throw new ModelCommandError(`Station ${request.stationId} has no earlier model to roll back to (its model history is empty).`);
  // A model of this bucket that is gone would leave the station's wafers uninspected: refuse rather than point at it.
  const target = head.model !== undefined ? modelSpecOf(head.model) : undefined;
  const inBucket = target && targets.s3 && targets.bucket ? new RegExp(`^s3://${escapeRegExp(targets.bucket)}/(.+)$`).exec(target.uri) : null;
  if (inBucket && !(await objectExists(targets.s3!, targets.bucket!, inBucket[1]!)))
    throw new ModelCommandError(`The earlier model ${target!.uri} is no longer in the bucket; nothing was changed.`);
  if (request.dryRun) {
    const change: StationModelChange = {
      stationId: request.stationId,
      ...(head.model !== undefined ? { model: head.model } : {}),
      ...(entry.station.model !== undefined ? { previous: entry.station.model } : {}),
      version: entry.version,
      history: rest,
    };
    return { change, dryRun: true, historyLeft: rest.length };
  }
  const change = await targets.registry.rollBackStationModel(request.stationId, { expectedVersion: entry.version });
  return { change, dryRun: false, historyLeft: change.history.length };
}

async function objectHasSize(targets: ModelTargets, key: string, size: number): Promise<boolean> {
  try {
    const head = await targets.s3.send(new HeadObjectCommand({ Bucket: targets.bucket, Key: key }));
    return head.ContentLength === size;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A model as the registry holds it, on one line. */
export function describeModel(model: StationModel | undefined, fallback?: ModelSpec): string {
  if (model === undefined) return `none: the stage's default${fallback ? ` (${fallback.uri})` : ''}`;
  return JSON.stringify(model);
}

// ---- the command ----

const USAGE = [
  'Usage: npm run model:publish -- --station STATION --model FILE.wwm|FILE.onnx [--labelled DIR] [--type embedded|onnx] [--dry-run] TARGETS',
  '       npm run model:rollback -- --station STATION [--dry-run] TARGETS',
  'TARGETS: --stage STAGE [--region R] (reads the stack outputs), or --table TABLE --bucket BUCKET;',
  '         --endpoint URL (DynamoDB) and --s3-endpoint URL for local emulators.',
  '--labelled DIR holds normal/ and anomalous/ images: the candidate is refused when it finds fewer anomalies or calls',
  "more normals than the station's current model. --default-model PATH|s3://… is the model of a station that names",
  "none (default: the stage's settings, EMBEDDED_MODEL_URI or models/wafer-default.wwm).",
].join('\n');

const OPTIONS = {
  station: { type: 'string' },
  model: { type: 'string' },
  type: { type: 'string' },
  labelled: { type: 'string' },
  'default-model': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  stage: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  bucket: { type: 'string' },
  endpoint: { type: 'string' },
  's3-endpoint': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** The bucket and registry table of a deployed stage (stack outputs ImageBucketName, StationRegistryTableName). */
async function stackOutputs(stage: string, region: string): Promise<{ bucket?: string; table?: string }> {
  const cloudFormation = new CloudFormationClient({ region });
  try {
    const outputs = await readStackOutputs(cloudFormation, stackNameOf(stage));
    return { bucket: outputs.get('ImageBucketName'), table: outputs.get('StationRegistryTableName') };
  } finally {
    cloudFormation.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...extra] = positionals;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (command !== 'publish' && command !== 'rollback') throw new ModelCommandError(`Name a command: publish or rollback.\n${USAGE}`);
  if (extra.length > 0) throw new ModelCommandError(`Unexpected argument "${extra[0]}" (options start with --).`);
  if (!values.station) throw new ModelCommandError(`--station STATION is required (--help shows the options).`);
  if (command === 'publish' && !values.model) throw new ModelCommandError('model:publish needs --model FILE (.wwm or .onnx).');
  if (values.type !== undefined && values.type !== 'embedded' && values.type !== 'onnx')
    throw new ModelCommandError(`--type must be embedded or onnx (got "${values.type}")`);

  const region = values.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  let bucket = values.bucket;
  let table = values.table ?? process.env.STATION_REGISTRY_TABLE;
  if (values.stage && (!bucket || !table)) {
    const outputs = await stackOutputs(values.stage, region);
    bucket ??= outputs.bucket;
    table ??= outputs.table;
    const missing = [!bucket && 'ImageBucketName', !table && 'StationRegistryTableName'].filter(Boolean);
    if (missing.length > 0) throw new ModelCommandError(`Stack ${stackNameOf(values.stage)} has no ${missing.join(', ')} output; deploy the stack first.`);
  }
  if (!table) throw new ModelCommandError('Name the targets: --stage STAGE (reads the stack outputs), or --table TABLE --bucket BUCKET.');
  if (command === 'publish' && !bucket) throw new ModelCommandError('Name the image bucket: --bucket BUCKET or --stage STAGE.');

  let config: DetectorConfig;
  try {
    config = parseEnvironment([regionConfig, detectorConfig], { ...process.env, AWS_REGION: region });
  } catch (error) {
    throw new ModelCommandError(`The detector settings in this shell are not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
  const s3 = createS3Client({ region, ...(values['s3-endpoint'] ? { endpoint: values['s3-endpoint'] } : {}) });
  const dynamoDb = createDynamoDbClient({ region, ...(values.endpoint ? { endpoint: values.endpoint } : {}) });
  try {
    const registry = new DynamoDbStationRegistry({
      client: toDocumentClient(dynamoDb),
      tableName: table,
      allowedPrefixes: allowedPrefixesFrom(process.env.OPERATOR_COUNTRY_PREFIXES),
      cacheSeconds: 0,
    });
    const defaultModel = values['default-model'] ? modelSpecOf(values['default-model']) : undefined;
    const where = `registry ${table}${bucket ? `, bucket ${bucket}` : ''}`;
    if (command === 'rollback') {
      const { change, dryRun, historyLeft } = await rollbackModel(
        { registry, s3, ...(bucket ? { bucket } : {}) },
        { stationId: values.station, dryRun: values['dry-run'] },
      );
      const fallback = defaultModel ?? safeDefault(config);
      console.log(
        `${dryRun ? 'Would roll' : 'Rolled'} station ${change.stationId} back (${where}):\n  from ${describeModel(change.previous, fallback)}\n  to   ${describeModel(change.model, fallback)}`,
      );
      console.log(`${historyLeft} earlier model(s) left in its history.${dryRun ? ' Nothing was changed (--dry-run).' : ''}`);
      if (!dryRun) await printStationModel(registry, values.station, fallback);
      return;
    }

    const file = path.resolve(values.model!);
    if (!(await stat(file).catch(() => undefined))?.isFile()) throw new ModelCommandError(`--model ${values.model}: no such file.`);
    const result = await publishModel(
      { s3, bucket: bucket!, registry, detectorConfig: config, ...(defaultModel ? { defaultModel } : {}) },
      {
        stationId: values.station,
        file: values.model!,
        ...(values.type ? { type: values.type } : {}),
        ...(values.labelled ? { labelled: values.labelled } : {}),
        dryRun: values['dry-run'],
      },
    );
    if (result.evaluation) console.log(formatEvaluation([result.evaluation.current, result.evaluation.candidate], result.evaluation.folder));
    else console.log('No --labelled folder: the candidate was not evaluated against the current model (it loads; nothing more was checked).');
    if (result.evaluation && !result.evaluation.gate.pass) {
      console.error(`Refused: the candidate has ${result.evaluation.gate.reasons.join(', and ')}. Nothing was uploaded or changed.`);
      process.exitCode = 1;
      return;
    }
    if (result.evaluation) console.log('Gate passed: no lower recall and no higher false-call rate than the current model.');
    if (result.alreadyCurrent) {
      console.log(`Station ${result.stationId} already uses ${result.published.uri}; nothing was changed.`);
      return;
    }
    const upload = result.alreadyUploaded
      ? `${result.published.uri} is already in the bucket (the same bytes)`
      : `${result.dryRun ? 'would upload' : 'uploaded'} ${values.model} (sha256 ${result.published.sha256}) to ${result.published.uri}`;
    if (result.dryRun) {
      console.log(`Dry run (${where}): ${upload}, and would point station ${result.stationId} at ${JSON.stringify(result.published)},`);
      console.log(`  keeping its current model (${describeModel(result.previous, result.previousEffective)}) in its history. Nothing was written.`);
      return;
    }
    console.log(`Published for station ${result.stationId} (${where}): ${upload};`);
    console.log(
      `  pointed the station at it (registry version ${result.change!.version}); its previous model, ${describeModel(result.previous, result.previousEffective)},`,
    );
    console.log(`  is kept in its history (${result.change!.history.length} model(s)): npm run model:rollback -- --station ${result.stationId} puts it back.`);
    await printStationModel(registry, values.station, result.previousEffective);
    console.log(
      `Note: a later npm run stations:import whose file gives ${result.stationId} another model (or none) replaces this one; put the model above in the file.`,
    );
  } finally {
    s3.destroy();
    dynamoDb.destroy();
  }
}

function safeDefault(config: DetectorConfig): ModelSpec | undefined {
  try {
    return stageDefaultModel(config);
  } catch {
    return undefined;
  }
}

/** Read the station back and print the model it uses now, exactly as the registry holds it. */
async function printStationModel(registry: DynamoDbStationRegistry, stationId: string, fallback?: ModelSpec): Promise<void> {
  const entry = await registry.readStationEntry(stationId);
  console.log(`Station ${stationId} now uses: ${describeModel(entry?.station.model, fallback)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (
      error instanceof ModelCommandError ||
      error instanceof StationModelChangeError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(error.message);
    } else if (error instanceof Error) {
      console.error(`models failed: ${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`);
    } else {
      console.error(`models failed: ${String(error)}`);
    }
    process.exitCode = 1;
  });
}
