import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { detectorConfig } from '../../../functions/config/detector';
import { parseEnvironment } from '../../../functions/config/environment';
import { regionConfig } from '../../../functions/config/region';
import { DetectorUnavailableError } from '../../../functions/core/errors';
import type { Detector } from '../../../functions/core/ports/detector';
import type { ValidatedWaferImage } from '../../../functions/core/wafer-image';
import { createDetectorLoader, type DetectorConfig } from '../../../functions/wiring/shared/detector';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';
import { anomalibLikeModel } from '../../unit/adapters/onnx/anomalib-like-model';

/*
 * DETECTOR=onnx end to end: the environment as a function reads it (functions/config), the wiring's detector loader
 * (functions/wiring/shared/detector.ts) reading the model from a file or from S3 (s3rver, through the real S3 client),
 * onnxruntime-node running it, and verdicts, masks and model versions on generated wafer images.
 */
const BUCKET = 'waferwatch-onnx-models';
const MODEL = anomalibLikeModel({ inputSize: 128 });
const MODEL_SHA256 = createHash('sha256').update(MODEL).digest('hex');

let s3Emulator: S3Emulator;
let s3: S3Client;
let workDir: string;
let modelPath: string;

beforeAll(async () => {
  s3Emulator = await startS3Emulator({ buckets: [BUCKET] });
  s3 = createS3Client({ region: 'us-east-1', endpoint: s3Emulator.endpoint });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stations/line-1/patchcore-wafer.onnx', Body: MODEL }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'wrong-outputs.onnx', Body: anomalibLikeModel({ outputs: { pred_score: 'score' } }) }));
  workDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-onnx-'));
  modelPath = path.join(workDir, 'patchcore-wafer.onnx');
  await writeFile(modelPath, MODEL);
});

afterAll(async () => {
  s3?.destroy();
  await s3Emulator?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A logger whose error lines a test can read. */
function fakeLogger(): { logger: Logger; error: ReturnType<typeof vi.fn> } {
  const error = vi.fn();
  return { logger: { error, info: vi.fn(), warn: vi.fn(), debug: vi.fn() } as unknown as Logger, error };
}

/** The detector as an inspecting function builds it from its environment. */
function detectorFrom(env: Record<string, string>, logger: Logger = fakeLogger().logger): () => Promise<Detector> {
  const config: DetectorConfig = parseEnvironment([regionConfig, detectorConfig], { AWS_REGION: 'us-east-1', DETECTOR: 'onnx', ...env });
  return createDetectorLoader(config, s3, logger);
}

/** Inspect an image as the pipeline does: prepare (the decode check) once, then detect. */
async function inspect(detector: Detector, image: ValidatedWaferImage) {
  return detector.detect(image, detector.prepare ? await detector.prepare(image) : undefined);
}

async function maskSize(png: Uint8Array | undefined): Promise<[number | undefined, number | undefined]> {
  const meta = await sharp(png).metadata();
  return [meta.width, meta.height];
}

describe('DETECTOR=onnx through the wiring', () => {
  it('judges normal and defective wafers from a model file given relative to the working directory', async () => {
    // Prepare: a relative ONNX_MODEL_URI, as the bundled models are given in Lambda (relative to /var/task).
    const load = detectorFrom({ ONNX_MODEL_URI: path.relative(process.cwd(), modelPath), ONNX_MODEL_SHA256: MODEL_SHA256 });
    const detector = await load();
    const normal = [await makeTestWaferImage({ width: 1732, height: 1750, format: 'jpeg' }), await makeTestWaferImage({ width: 640, height: 480 })];
    const defective = [
      await makeTestWaferImage({ width: 1732, height: 1750, format: 'jpeg', redMarkSide: 120 }),
      await makeTestWaferImage({ width: 640, height: 480, redMarkSide: 40 }),
    ];

    // Act
    const normalResults = await Promise.all(normal.map((image) => inspect(detector, image)));
    const defectiveResults = await Promise.all(defective.map((image) => inspect(detector, image)));

    // Assess
    expect(await load()).toBe(detector);
    for (const [index, result] of normalResults.entries()) {
      expect(result.IsAnomalous, `normal ${index}`).toBe(false);
      expect(result.Confidence).toBeGreaterThan(0.9);
      expect(await maskSize(result.AnomalyMask)).toEqual([normal[index]!.width, normal[index]!.height]);
    }
    for (const [index, result] of defectiveResults.entries()) {
      expect(result.IsAnomalous, `defective ${index}`).toBe(true);
      expect(result.Confidence).toBeGreaterThan(0.9);
      expect(result.Anomalies.map((anomaly) => anomaly.Name)).toEqual(['background', 'anomaly']);
      expect(await maskSize(result.AnomalyMask)).toEqual([defective[index]!.width, defective[index]!.height]);
    }
    for (const result of [...normalResults, ...defectiveResults]) {
      // The record names the model as the setting gives it (the relative path), beside its version.
      expect(result.Detector).toEqual({
        name: 'onnx',
        modelVersion: `patchcore-wafer.onnx@${MODEL_SHA256.slice(0, 12)}`,
        model: path.relative(process.cwd(), modelPath),
      });
    }
  });

  it('reads the model from s3:// through the S3 client', async () => {
    // Prepare
    const load = detectorFrom({ ONNX_MODEL_URI: `s3://${BUCKET}/stations/line-1/patchcore-wafer.onnx`, ONNX_THRESHOLD: '0.6' });

    // Act
    const result = await inspect(await load(), await makeTestWaferImage({ redMarkSide: 30 }));

    // Assess
    expect(result.IsAnomalous).toBe(true);
    expect(result.Detector.modelVersion).toBe(`patchcore-wafer.onnx@${MODEL_SHA256.slice(0, 12)}`);
  });

  it('refuses a model without anomalib outputs: the loader answers DETECTOR_UNAVAILABLE and logs why', async () => {
    // Prepare
    const { logger, error } = fakeLogger();
    const load = detectorFrom({ ONNX_MODEL_URI: `s3://${BUCKET}/wrong-outputs.onnx` }, logger);

    // Act + Assess
    await expect(load()).rejects.toBeInstanceOf(DetectorUnavailableError);
    expect(error).toHaveBeenCalledWith('The anomaly detector could not be loaded', {
      error: expect.stringMatching(/OnnxModelError: The ONNX model wrong-outputs\.onnx has no "pred_score" output \(its outputs: score, anomaly_map/),
    });
  });

  it('refuses a model whose bytes do not match ONNX_MODEL_SHA256', async () => {
    // Prepare
    const { logger, error } = fakeLogger();
    const other = createHash('sha256').update('a model the fab did not publish').digest('hex');
    const load = detectorFrom({ ONNX_MODEL_URI: modelPath, ONNX_MODEL_SHA256: other }, logger);

    // Act + Assess
    await expect(load()).rejects.toBeInstanceOf(DetectorUnavailableError);
    expect(error).toHaveBeenCalledWith('The anomaly detector could not be loaded', {
      error: expect.stringContaining(`has sha256 ${MODEL_SHA256}, not the expected ${other} (ONNX_MODEL_SHA256)`),
    });
  });
});
