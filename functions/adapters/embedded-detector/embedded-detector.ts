import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { DetectionResult } from '../../core/detection';
import type { Detector } from '../../core/ports/detector';
import { CorruptImageError } from '../../core/errors';
import type { ValidatedWaferImage } from '../../core/wafer-image';
import { imageScore, regionRows, regionScoreMap, scoredRegion, standardise } from './anomaly-map';
import { ANOMALY_COLOR, BACKGROUND_COLOR, renderAnomalyMask } from './anomaly-mask';
import { MemoryBank } from './memory-bank';
import { decodeModelFile, modelVersionOf, type WaferModel } from './model-file';
import { extractPatchFeatures } from './patch-features';
import { decodeWorkingImage, type DecodedWorkingImage, type WorkingImage } from './working-image';

/** Name of the one anomaly label the embedded detector paints (it has no defect classes). */
export const ANOMALY_LABEL = 'anomaly';

/** The patch score map of one working image and the image score taken from it. */
export interface ScoreMap {
  /** Smoothed nearest-neighbour distances, row-major over the patch grid. */
  smoothed: Float32Array;
  gridWidth: number;
  gridHeight: number;
  score: number;
}

/**
 * Score a working image against a bank: descriptors, standardisation, nearest-neighbour distances, smoothing.
 * Shared by inference and by training (which scores held-out images against partial banks).
 */
export function scoreWorkingImage(
  image: WorkingImage,
  bank: MemoryBank,
  model: Pick<WaferModel, 'settings' | 'featureMean' | 'featureScale' | 'smoothingRadius'>,
): ScoreMap {
  const features = extractPatchFeatures(image, model.settings);
  standardise(features, model.featureMean, model.featureScale);
  const { gridWidth, gridHeight, dims } = features;
  // Only the scored patches are searched: the border rings' distances would be left out of the map anyway.
  const region = scoredRegion(gridWidth, gridHeight, model.settings.borderPatches ?? 0);
  const distances = bank.nearestDistances(regionRows(features.values, gridWidth, dims, region), region.width);
  const smoothed = regionScoreMap(distances, region, gridWidth, gridHeight, model.smoothingRadius);
  return { smoothed, gridWidth, gridHeight, score: imageScore(smoothed) };
}

/** Probability-like belief that a score is anomalous: a logistic centred on the threshold. */
export function anomalyProbability(score: number, threshold: number, scale: number): number {
  return 1 / (1 + Math.exp(-(score - threshold) / scale));
}

/** The embedded, in-process anomaly detector: a PatchCore-style memory bank of normal wafer patches. */
export class EmbeddedDetector implements Detector {
  readonly modelVersion: string;
  private readonly bank: MemoryBank;

  constructor(
    readonly model: WaferModel,
    modelVersion: string,
  ) {
    this.modelVersion = modelVersion;
    this.bank = new MemoryBank(model.bank, model.featureMean.length);
  }

  /** Bytes the detector holds besides its model: the memory bank's search structures (MemoryBank.residentBytes). */
  get residentBytes(): number {
    return this.bank.residentBytes;
  }

  /**
   * Decode the image to the model's working resolution. The inspection pipeline uses this as the
   * image's decode check (CorruptImageError for truncated or corrupt pixel data) and hands the result
   * back to detect(), so each wafer is decoded once.
   */
  async prepare(image: ValidatedWaferImage): Promise<DecodedWorkingImage> {
    return this.decode(image.bytes, { width: image.width, height: image.height });
  }

  /**
   * Decide whether the wafer is anomalous; answers in Lookout for Vision's DetectAnomalies shape with a mask.
   * The scoring is one synchronous block of tens of milliseconds: it first lets the event loop run once, so I/O
   * started beside it (the pipeline stores the image while it detects) is on its way before the CPU is taken.
   */
  async detect(image: ValidatedWaferImage, prepared?: DecodedWorkingImage): Promise<DetectionResult> {
    const working = prepared ?? (await this.decode(image.bytes, { width: image.width, height: image.height }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.detectWorking(working);
  }

  /** The same as detect, from bare PNG/JPEG bytes (training reports, evaluation and benchmarks). */
  async detectBytes(bytes: Uint8Array): Promise<DetectionResult> {
    return this.detectWorking(await this.decode(bytes));
  }

  private async decode(bytes: Uint8Array, sourceSize?: { width: number; height: number }): Promise<DecodedWorkingImage> {
    try {
      return await decodeWorkingImage(bytes, this.model.settings.workingSide, sourceSize);
    } catch {
      throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
    }
  }

  private detectWorking(working: DecodedWorkingImage): DetectionResult {
    const { model } = this;
    const map = scoreWorkingImage(working, this.bank, model);
    const isAnomalous = map.score > model.threshold;
    // Like Lookout, only an anomalous verdict paints anomalies; then every patch worse than any held-out
    // normal patch is painted, so the mask outlines the defect rather than only its worst spot.
    const flags = new Uint8Array(map.smoothed.length);
    if (isAnomalous) for (let i = 0; i < flags.length; i++) flags[i] = map.smoothed[i]! > model.maskThreshold ? 1 : 0;
    const { cellSize, scales } = model.settings;
    const mask = renderAnomalyMask(
      {
        flags,
        gridWidth: map.gridWidth,
        gridHeight: map.gridHeight,
        patchSize: Math.min(...scales) * cellSize,
        stride: cellSize,
        workingWidth: working.width,
        workingHeight: working.height,
      },
      working.sourceWidth,
      working.sourceHeight,
    );
    const anomalousPercent = (100 * mask.anomalousPixels) / mask.totalPixels;
    const backgroundPercent = (100 * (mask.totalPixels - mask.anomalousPixels)) / mask.totalPixels;
    const anomalies: DetectionResult['Anomalies'] = [{ Name: 'background', PixelAnomaly: { TotalPercentageArea: backgroundPercent, Color: BACKGROUND_COLOR } }];
    if (mask.anomalousPixels > 0) {
      anomalies.push({ Name: ANOMALY_LABEL, PixelAnomaly: { TotalPercentageArea: anomalousPercent, Color: ANOMALY_COLOR } });
    }
    const probability = anomalyProbability(map.score, model.threshold, model.confidenceScale);
    return {
      IsAnomalous: isAnomalous,
      Confidence: isAnomalous ? probability : 1 - probability,
      Anomalies: anomalies,
      AnomalyMask: mask.png,
      AnomalyScore: map.score,
      Detector: { name: 'embedded', modelVersion: this.modelVersion },
    };
  }
}

/**
 * Build the embedded detector from the bytes of a model file (.wwm). Throws ModelFileError when the
 * file is not a model, has another format version, or is truncated or corrupt. Call once per container
 * (parsing and indexing the bank takes tens of milliseconds). Turns off sharp's operation cache for the process.
 */
export function loadEmbeddedDetector(modelBytes: Uint8Array): EmbeddedDetector {
  // libvips' operation cache keeps recently decoded images; every wafer is decoded once, so the cache
  // only holds memory (it took peak RSS from ~175 MB to ~265 MB on the full-size photos).
  sharp.cache(false);
  return new EmbeddedDetector(decodeModelFile(modelBytes), modelVersionOf(modelBytes));
}

/** Read a model file from disk and build the embedded detector from it (see loadEmbeddedDetector). */
export async function readEmbeddedDetector(path: string): Promise<EmbeddedDetector> {
  return loadEmbeddedDetector(await readFile(path));
}
