import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateDecision, ModelCommandError, publishModel, rollbackModel, type ModelEvaluation, type ModelTargets } from '../../../deploy/models';
import { trainWaferModel } from '../../../detector/training';
import { createDynamoDbClient, createS3Client } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry, StationModelChangeError } from '../../../functions/adapters/dynamodb/dynamodb-station-registry';
import { encodeModelFile } from '../../../functions/adapters/embedded-detector/model-file';
import { detectorConfig } from '../../../functions/config/detector';
import { parseEnvironment } from '../../../functions/config/environment';
import { regionConfig } from '../../../functions/config/region';
import { modelSpecOf, type Station } from '../../../functions/core/station-registry';
import { checkWaferImage } from '../../../functions/core/validate-wafer-image';
import { loadStationModel } from '../../../functions/wiring/shared/station-detectors';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { sample } from '../../unit/adapters/embedded-detector/helpers';
import { runProjectCommand, type CommandResult } from '../../helpers/project-command';

// `npm run model:publish` / `model:rollback` against s3rver and dynalite with the real SDK clients: the gate (a model
// trained on a recoloured copy of the product refused when judged on the product itself, an equal one accepted), the
// content-addressed upload, the registry pointing the station at it (read back), and rollback through the history.
const BUCKET = 'waferwatch-models-test-images';
const TABLES = ['stations-a', 'stations-b', 'stations-c', 'stations-d', 'stations-e', 'stations-f', 'stations-g'];
const PREFIXES = ['+1'];
const TRAIN = ['wafer.jpg', 'dodged.jpg', '90_blurred.jpg', '240_airbrushed.jpg'];
const LABELLED_NORMAL = ['smuged.jpg', '120_wafer.jpg', 'blurred.jpg'];
const LABELLED_ANOMALOUS = ['scratch.jpg', 'particle.jpg', 'donut.jpg'];
const LITHO: Station = { id: 'litho-3', name: 'Litho three', escalation: [{ contacts: [{ name: 'Line operator', phone: '+15555550100' }] }] };

let s3Emulator: S3Emulator;
let dynamo: DynamoDbEmulator;
let s3: S3Client;
let dynamoDb: ReturnType<typeof createDynamoDbClient>;
let directory: string;
let labelled: string;
/** Trained on four normals of the product. */
let goodModel: string;
/** The same images, another date: other bytes, the same verdicts. */
let goodAgainModel: string;
/** Trained on the same normals with red and blue swapped (another coating): calls every wafer of the product. */
let recolouredModel: string;
let tablesUsed = 0;

function targetsFor(table: string): ModelTargets & { registry: DynamoDbStationRegistry } {
  return {
    s3,
    bucket: BUCKET,
    registry: new DynamoDbStationRegistry({ client: toDocumentClient(dynamoDb), tableName: table, allowedPrefixes: PREFIXES, cacheSeconds: 0 }),
    detectorConfig: parseEnvironment([regionConfig, detectorConfig], { AWS_REGION: 'us-east-1' }),
    defaultModel: { uri: 'models/wafer-default.wwm', type: 'embedded' },
  };
}

/** A table of its own per test, holding litho-3 (with no model: the stage's default). */
async function freshTargets() {
  const table = TABLES[tablesUsed++];
  if (!table) throw new Error('Add a table to TABLES');
  const targets = targetsFor(table);
  await targets.registry.importStations([LITHO]);
  return { table, targets };
}

async function train(file: string, images: { name: string; bytes: Buffer }[], createdAt: string): Promise<string> {
  const { model } = await trainWaferModel(images, { bankSize: 200, createdAt });
  await writeFile(file, encodeModelFile(model));
  return file;
}

async function keysInBucket(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models/' }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

function runCommand(args: string[]): Promise<CommandResult> {
  return runProjectCommand('deploy/models.ts', args, {
    OPERATOR_COUNTRY_PREFIXES: '+1',
    STATION_REGISTRY_TABLE: '',
    DETECTOR: 'embedded',
    EMBEDDED_MODEL_URI: 'models/wafer-default.wwm',
  });
}

beforeAll(async () => {
  [s3Emulator, dynamo] = await Promise.all([
    startS3Emulator({ buckets: [BUCKET] }),
    startDynamoDbEmulator({ tables: TABLES.map((name) => ({ name, partitionKey: 'stationId' })) }),
  ]);
  s3 = createS3Client({ region: 'us-east-1', endpoint: s3Emulator.endpoint });
  dynamoDb = createDynamoDbClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  directory = await mkdtemp(path.join(tmpdir(), 'waferwatch-models-'));
  labelled = path.join(directory, 'labelled');
  await mkdir(path.join(labelled, 'normal'), { recursive: true });
  await mkdir(path.join(labelled, 'anomalous'), { recursive: true });
  for (const name of LABELLED_NORMAL) await writeFile(path.join(labelled, 'normal', name), sample('good', name));
  for (const name of LABELLED_ANOMALOUS) await writeFile(path.join(labelled, 'anomalous', name), sample('anomalous', name));
  const normals = TRAIN.map((name) => ({ name, bytes: sample('good', name) }));
  const recoloured = await Promise.all(
    normals.map(async ({ name, bytes }) => ({
      name,
      bytes: await sharp(bytes)
        .recomb([
          [0, 0, 1],
          [0, 1, 0],
          [1, 0, 0],
        ])
        .jpeg({ quality: 92 })
        .toBuffer(),
    })),
  );
  goodModel = await train(path.join(directory, 'litho-3.wwm'), normals, '2026-11-26T00:00:00.000Z');
  goodAgainModel = await train(path.join(directory, 'litho-3-again.wwm'), normals, '2026-11-27T00:00:00.000Z');
  recolouredModel = await train(path.join(directory, 'other-coating.wwm'), recoloured, '2026-11-26T00:00:00.000Z');
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  dynamoDb?.destroy();
  await Promise.all([s3Emulator?.close(), dynamo?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('model:publish', () => {
  it('refuses a model trained on a recoloured copy of the normals, judged on the product: nothing uploaded, the station unchanged', async () => {
    // Prepare
    const { targets } = await freshTargets();
    const before = await keysInBucket();

    // Act
    const result = await publishModel(targets, { stationId: 'litho-3', file: recolouredModel, labelled });

    // Assess
    expect(result.evaluation!.gate.pass).toBe(false);
    expect(result.evaluation!.gate.reasons).toEqual([expect.stringContaining('higher false-call rate: it calls 3/3 normal wafers, the current model 0/3')]);
    expect(result.evaluation!.current).toMatchObject({ model: 'models/wafer-default.wwm (stage default)', falseCalls: [], misses: [] });
    expect(result.change).toBeUndefined();
    expect(await keysInBucket()).toEqual(before);
    expect((await targets.registry.getStation('litho-3'))!.model).toBeUndefined();
  });

  it('accepts an equal model, uploads it content-addressed, points the station at it (read back) and the inspect path loads it', async () => {
    // Prepare
    const { table, targets } = await freshTargets();
    const bytes = await readFile(goodModel);

    // Act
    const result = await publishModel(targets, { stationId: 'litho-3', file: goodModel, labelled });

    // Assess
    expect(result.evaluation!.gate).toEqual({ pass: true, reasons: [] });
    const { sha256 } = result.published;
    const key = `models/litho-3/${sha256}.wwm`;
    expect(result.published).toEqual({ uri: `s3://${BUCKET}/${key}`, type: 'embedded', sha256 });
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(stored.Metadata).toMatchObject({ sha256, station: 'litho-3' });
    // Read back by another registry client, as the inspect function reads it.
    const readBack = await targetsFor(table).registry.getStation('litho-3');
    expect(readBack!.model).toEqual(result.published);
    const loaded = await loadStationModel(modelSpecOf(readBack!.model!), targets.detectorConfig, s3);
    expect((await loaded.detector.detect(validated(sample('anomalous', 'scratch.jpg')))).IsAnomalous).toBe(true);
    expect((await targets.registry.readStationEntry('litho-3'))!.history).toEqual([{ replacedAt: expect.any(String) }]);
  });

  it('rolls back through the history: the previous model, then the stage default, then refuses', async () => {
    // Prepare
    const { targets } = await freshTargets();
    const first = await publishModel(targets, { stationId: 'litho-3', file: goodModel });
    const second = await publishModel(targets, { stationId: 'litho-3', file: goodAgainModel });

    // Act
    const back = await rollbackModel(targets, { stationId: 'litho-3' });
    const backAgain = await rollbackModel(targets, { stationId: 'litho-3' });
    const nothingLeft = await rollbackModel(targets, { stationId: 'litho-3' }).catch((error: unknown) => error);

    // Assess
    expect(second.previous).toEqual(first.published);
    expect(back.change).toMatchObject({ previous: second.published, model: first.published });
    expect(backAgain.change.model).toBeUndefined();
    expect((await targets.registry.getStation('litho-3'))!.model).toBeUndefined();
    expect(nothingLeft).toBeInstanceOf(ModelCommandError);
    expect((nothingLeft as Error).message).toMatch(/no earlier model to roll back to/);
    // Both files stay in the bucket: a rollback only moves the pointer.
    expect(await keysInBucket()).toEqual(expect.arrayContaining([`models/litho-3/${first.published.sha256}.wwm`, `models/litho-3/${second.published.sha256}.wwm`]));
  });

  it('refuses to write onto a station changed since it was read, and an unknown station', async () => {
    // Prepare
    const { targets } = await freshTargets();
    const entry = await targets.registry.readStationEntry('litho-3');
    await targets.registry.importStations([{ ...LITHO, name: 'Litho three A' }]);

    // Act
    const stale = await targets.registry.setStationModel('litho-3', 'models/wafer-default.wwm', { expectedVersion: entry!.version }).catch((error: unknown) => error);
    const unknown = await publishModel(targets, { stationId: 'etch-9', file: goodModel }).catch((error: unknown) => error);

    // Assess
    expect(stale).toBeInstanceOf(StationModelChangeError);
    expect((stale as Error).message).toMatch(/changed in the registry meanwhile/);
    expect(unknown).toBeInstanceOf(ModelCommandError);
    expect((unknown as Error).message).toMatch(/Unknown station "etch-9"/);
  });

  it('keeps the history across stations:import, and an import that changes the model can be rolled back', async () => {
    // Prepare
    const { targets } = await freshTargets();
    const published = await publishModel(targets, { stationId: 'litho-3', file: goodModel });

    // Act: a stale registry file without the model.
    await targets.registry.importStations([{ ...LITHO, name: 'Litho three B' }]);
    const afterImport = await targets.registry.readStationEntry('litho-3');
    const rolledBack = await rollbackModel(targets, { stationId: 'litho-3' });

    // Assess
    expect(afterImport!.station.model).toBeUndefined();
    expect(afterImport!.history.map((entry) => entry.model)).toEqual([published.published, undefined]);
    expect(rolledBack.change.model).toEqual(published.published);
    expect((await targets.registry.getStation('litho-3'))!.name).toBe('Litho three B');
  });
});

describe('the gate', () => {
  const row = (found: number, falseCalls: number): ModelEvaluation => ({
    role: 'x',
    model: 'm',
    threshold: 't',
    normals: 10,
    falseCalls: Array.from({ length: falseCalls }, (_, i) => `n${i}`),
    anomalous: 5,
    misses: Array.from({ length: 5 - found }, (_, i) => `a${i}`),
  });

  it('passes equal or better models and refuses lower recall or more false calls', () => {
    // Prepare
    const current = row(4, 1);

    // Act
    const decisions = [row(4, 1), row(5, 0), row(3, 0), row(5, 2), row(3, 2)].map((candidate) => gateDecision(current, candidate));

    // Assess
    expect(decisions.map((d) => d.pass)).toEqual([true, true, false, false, false]);
    expect(decisions[4]!.reasons).toHaveLength(2);
  });
});

describe('the commands', () => {
  it('model:publish refuses a worse model with exit code 1 and both rows, publishes a good one, model:rollback puts the default back', async () => {
    // Prepare
    const { table } = await freshTargets();
    const targets = ['--table', table, '--bucket', BUCKET, '--endpoint', dynamo.endpoint, '--s3-endpoint', s3Emulator.endpoint];

    // Act
    const refused = await runCommand(['publish', '--station', 'litho-3', '--model', recolouredModel, '--labelled', labelled, ...targets]);
    const published = await runCommand(['publish', '--station', 'litho-3', '--model', goodModel, ...targets]);
    const rolledBack = await runCommand(['rollback', '--station', 'litho-3', ...targets]);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/current\s+models\/wafer-default\.wwm \(stage default\)\s+score > [\d.]+\s+3\/3 100\.0 %\s+0\/3 {3}0\.0 %/);
    expect(refused.stdout).toMatch(/candidate\s+\S+other-coating\.wwm\s+score > [\d.]+\s+3\/3 100\.0 %\s+3\/3 100\.0 %/);
    expect(refused.stderr).toMatch(/^Refused: the candidate has a higher false-call rate/);
    expect(published.code).toBe(0);
    expect(published.stdout).toMatch(/Station litho-3 now uses: \{"uri":"s3:\/\/waferwatch-models-test-images\/models\/litho-3\/[0-9a-f]{64}\.wwm","type":"embedded","sha256":"[0-9a-f]{64}"\}/);
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toContain("Station litho-3 now uses: none: the stage's default (models/wafer-default.wwm)");
  }, 30_000);
});

function validated(bytes: Buffer) {
  return checkWaferImage(bytes, { maxBytes: 20 * 1024 * 1024, minSide: 64, maxSide: 4096 });
}
