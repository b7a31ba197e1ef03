import { createHash } from 'node:crypto';
import { MemoryBank } from '../functions/adapters/embedded-detector/memory-bank';
import type { WaferModel } from '../functions/adapters/embedded-detector/model-file';
import { scoreWorkingImage } from '../functions/adapters/embedded-detector/embedded-detector';
import {
  DEFAULT_FEATURE_SETTINGS,
  descriptorLength,
  extractPatchFeatures,
  type FeatureSettings,
  type PatchFeatures,
} from '../functions/adapters/embedded-detector/patch-features';
import { decodeRaw, resizeToWorking, type WorkingImage } from '../functions/adapters/embedded-detector/working-image';
import { greedyCoreset } from './coreset';
import { perturbationLabel, perturbRaw, type Perturbation } from './perturbations';
import { rotateRaw } from './rotation';
import { chooseThreshold, chooseThresholdForFalseCallRate, DRIFT_CALIBRATED_MARGIN, type FalseCallRateChoice, type ThresholdChoice } from './threshold';

/** One training image as read from disk. */
export interface NamedImage {
  name: string;
  bytes: Uint8Array;
}

/** Knobs of training; the defaults are what the evaluation was run with. */
export interface TrainingOptions {
  settings: FeatureSettings;
  bankSize: number;
  /** Rotations of every training image whose patches feed the bank. */
  bankRotations: number[];
  /** In-between rotations of held-out images the threshold is calibrated on. */
  calibrationRotations: number[];
  /**
   * Extra copies of every training image, each rotated and perturbed like a drifting camera (blur sigma in
   * working-image pixels): their patches feed the bank, so what drift does to normal patches is normal.
   */
  bankPerturbations: PerturbedCopy[];
  /** Extra held-out copies the threshold is calibrated on, at other rotations and amounts than the bank's. */
  calibrationPerturbations: PerturbedCopy[];
  /** Training images are split in this many folds (at most one per image) to score images the bank has not seen. */
  folds: number;
  thresholdMargin: number;
  smoothingRadius: number;
  createdAt: string;
  /**
   * Set the threshold for this false-call rate (0.01 = 1 %) on the held-out normals instead of the margin method
   * (chooseThresholdForFalseCallRate); unset keeps the margin method. With it, up to LEAVE_ONE_OUT_UP_TO images are
   * held out one at a time (unless `folds` is given), so every one is scored by a bank as close as possible to the model's.
   */
  targetFalseCallRate?: number;
}

/** With a target false-call rate, training sets of at most this many images are held out one at a time. */
export const LEAVE_ONE_OUT_UP_TO = 10;

/** A rotated and perturbed copy of a training image. */
export interface PerturbedCopy {
  rotation: number;
  perturbation: Perturbation;
}

export const DEFAULT_TRAINING_OPTIONS: Omit<TrainingOptions, 'createdAt'> = {
  settings: DEFAULT_FEATURE_SETTINGS,
  bankSize: 500,
  // Every statistic is taken over an axis-aligned square, which a quarter turn maps onto itself:
  // rotations only matter modulo 90°, so three bank angles cover the circle and the threshold is
  // calibrated half-way between them.
  bankRotations: [0, 30, 60],
  calibrationRotations: [15, 45, 75],
  // Camera drift (issue 14): the frame cuts the wafer elsewhere when the camera moves closer or further, so
  // zoomed copies feed the bank; brightness needs no copies (descriptors are normalised by the image's own
  // lightness) and the threshold is calibrated on held-out copies at other zooms, angles and a blur.
  bankPerturbations: [
    { rotation: 0, perturbation: { kind: 'scale', factor: 1.1 } },
    { rotation: 30, perturbation: { kind: 'scale', factor: 1.05 } },
    { rotation: 60, perturbation: { kind: 'scale', factor: 0.95 } },
    { rotation: 45, perturbation: { kind: 'scale', factor: 0.9 } },
  ],
  calibrationPerturbations: [
    { rotation: 15, perturbation: { kind: 'scale', factor: 1.07 } },
    { rotation: 75, perturbation: { kind: 'scale', factor: 0.93 } },
    { rotation: 45, perturbation: { kind: 'blur', sigma: 0.5 } },
  ],
  folds: 5,
  // Half the uncalibrated margin: the held-out scores already include drifted copies.
  thresholdMargin: DRIFT_CALIBRATED_MARGIN,
  smoothingRadius: 1,
};

/** What training reports beside the model. */
export interface TrainingReport {
  heldOutScores: { name: string; rotation: number; perturbation?: string; score: number }[];
  threshold: number;
  coresetRadius: number;
  poolSize: number;
  millis: number;
  /** Time spent decoding, rotating and describing the training images. */
  featureMillis: number;
  /** How many folds the images were held out in (the image count: leave-one-out). */
  folds: number;
  /** With a target false-call rate: the threshold chosen for it and what its estimate rests on. */
  falseCallRate?: FalseCallRateChoice;
}

/**
 * Train a model from normal images only: rotated copies feed a greedy-coreset memory bank, and the
 * threshold comes from images held out of the bank (k-fold) scored at rotations the bank never saw,
 * because a threshold from the bank's own images and angles flags every wafer turned a little.
 */
export async function trainWaferModel(images: NamedImage[], options: Partial<TrainingOptions> = {}): Promise<{ model: WaferModel; report: TrainingReport }> {
  const started = performance.now();
  const opts: TrainingOptions = { ...DEFAULT_TRAINING_OPTIONS, createdAt: new Date().toISOString(), ...options };
  if (opts.targetFalseCallRate !== undefined && options.folds === undefined && images.length <= LEAVE_ONE_OUT_UP_TO) opts.folds = images.length;
  if (images.length === 0) throw new Error('Training needs at least one normal image');
  const { settings } = opts;
  const dims = descriptorLength(settings);

  const bankFeatures: PatchFeatures[][] = [];
  const calibrationImages: WorkingImage[][] = [];
  for (const image of images) {
    // Rotate at twice the working size so the rotated copy is resampled like a rotated photo would be.
    const raw = await decodeRaw(image.bytes, settings.workingSide * 2);
    // Blur is given in working-image pixels; the raw copy may be larger.
    const rawPerWorking = Math.max(raw.width, raw.height) / settings.workingSide;
    const copy = async (c: PerturbedCopy) =>
      resizeToWorking(await perturbRaw(await rotateRaw(raw, c.rotation), inRawPixels(c.perturbation, Math.max(1, rawPerWorking))), settings.workingSide);
    const perImage: PatchFeatures[] = [];
    for (const angle of opts.bankRotations)
      perImage.push(extractPatchFeatures(await resizeToWorking(await rotateRaw(raw, angle), settings.workingSide), settings));
    for (const c of opts.bankPerturbations) perImage.push(extractPatchFeatures(await copy(c), settings));
    bankFeatures.push(perImage);
    const calibration: WorkingImage[] = [];
    for (const angle of opts.calibrationRotations) calibration.push(await resizeToWorking(await rotateRaw(raw, angle), settings.workingSide));
    for (const c of opts.calibrationPerturbations) calibration.push(await copy(c));
    calibrationImages.push(calibration);
  }

  const featureMillis = performance.now() - started;
  const { mean, scale } = featureStatistics(bankFeatures.flat(), dims);
  const standardised = bankFeatures.map((perImage) => concatStandardised(perImage, dims, mean, scale));
  const scoring = { settings, featureMean: mean, featureScale: scale, smoothingRadius: opts.smoothingRadius };

  const folds = Math.max(1, Math.min(opts.folds, images.length));
  const heldOut: TrainingReport['heldOutScores'] = [];
  // The highest held-out score of each image over its rotated and drifted copies: one normal, called if any copy is.
  const perImage = new Array<number>(images.length).fill(Number.NEGATIVE_INFINITY);
  for (let fold = 0; fold < folds; fold++) {
    const inFold = (i: number) => folds > 1 && i % folds === fold;
    const pool = concat(standardised.filter((_, i) => !inFold(i)));
    const bank = new MemoryBank(selectRows(pool, dims, greedyCoreset(pool, dims, opts.bankSize).indices), dims);
    images.forEach((image, i) => {
      if (folds > 1 && !inFold(i)) return;
      calibrationImages[i]!.forEach((working, r) => {
        const score = scoreWorkingImage(working, bank, scoring).score;
        perImage[i] = Math.max(perImage[i]!, score);
        const perturbed = opts.calibrationPerturbations[r - opts.calibrationRotations.length];
        heldOut.push(
          perturbed
            ? { name: image.name, rotation: perturbed.rotation, perturbation: perturbationLabel(perturbed.perturbation), score }
            : { name: image.name, rotation: opts.calibrationRotations[r]!, score },
        );
      });
    });
  }

  const pool = concat(standardised);
  const coreset = greedyCoreset(pool, dims, opts.bankSize);
  const margin = chooseThreshold(
    heldOut.map((h) => h.score),
    opts.thresholdMargin,
  );
  const falseCallRate =
    opts.targetFalseCallRate === undefined ? undefined : chooseThresholdForFalseCallRate(perImage, opts.targetFalseCallRate, margin.threshold);
  const choice = falseCallRate ? atThreshold(margin, falseCallRate.threshold) : margin;
  const model: WaferModel = {
    settings,
    featureMean: mean,
    featureScale: scale,
    bank: selectRows(pool, dims, coreset.indices),
    smoothingRadius: opts.smoothingRadius,
    threshold: choice.threshold,
    maskThreshold: Math.min(choice.max, choice.threshold),
    confidenceScale: choice.confidenceScale,
    provenance: {
      createdAt: opts.createdAt,
      imageCount: images.length,
      images: images.map((image) => ({ name: image.name, sha256: createHash('sha256').update(image.bytes).digest('hex') })),
      bankRotations: opts.bankRotations,
      calibrationRotations: opts.calibrationRotations,
      heldOutScores: heldOut.map((h) => h.score),
      ...(opts.bankPerturbations.length ? { bankPerturbations: opts.bankPerturbations.map(copyLabel) } : {}),
      ...(opts.calibrationPerturbations.length ? { calibrationPerturbations: opts.calibrationPerturbations.map(copyLabel) } : {}),
      trainer: `waferwatch detector/training.ts, ${folds}-fold, bank ${opts.bankSize}, ${
        falseCallRate
          ? `threshold for a false-call rate of ${opts.targetFalseCallRate} (${falseCallRate.called}/${falseCallRate.heldOut} held-out normals called${falseCallRate.reached ? '' : `, too few: margin ${opts.thresholdMargin}`})`
          : `margin ${opts.thresholdMargin}`
      }`,
    },
  };
  return {
    model,
    report: {
      heldOutScores: heldOut,
      threshold: choice.threshold,
      coresetRadius: coreset.radius,
      poolSize: pool.length / dims,
      millis: performance.now() - started,
      featureMillis,
      folds,
      ...(falseCallRate ? { falseCallRate } : {}),
    },
  };
}

/** The margin method's choice moved to another threshold: the confidence still puts the median normal at 95 % normal. */
function atThreshold(choice: ThresholdChoice, threshold: number): ThresholdChoice {
  return { ...choice, threshold, confidenceScale: Math.max((threshold - choice.median) / Math.log(19), 1e-6) };
}

function copyLabel(c: PerturbedCopy): string {
  return `${c.rotation}° ${perturbationLabel(c.perturbation)}`;
}

/** A perturbation given in working-image pixels, for an image `rawPerWorking` times larger. */
function inRawPixels(p: Perturbation, rawPerWorking: number): Perturbation {
  return p.kind === 'blur' ? { kind: 'blur', sigma: p.sigma * rawPerWorking } : p;
}

/** Per-dimension mean and standard deviation over all training patches, so no statistic dominates the distance by its unit. */
function featureStatistics(all: PatchFeatures[], dims: number): { mean: number[]; scale: number[] } {
  const sum = new Float64Array(dims);
  const sumSq = new Float64Array(dims);
  let count = 0;
  for (const f of all) {
    for (let o = 0; o < f.values.length; o += dims) {
      for (let d = 0; d < dims; d++) {
        const v = f.values[o + d]!;
        sum[d]! += v;
        sumSq[d]! += v * v;
      }
      count++;
    }
  }
  const mean = Array.from(sum, (s) => s / count);
  const scale = Array.from(sumSq, (s, d) => Math.max(Math.sqrt(Math.max(0, s / count - mean[d]! * mean[d]!)), 1e-3));
  return { mean, scale };
}

function concatStandardised(features: PatchFeatures[], dims: number, mean: number[], scale: number[]): Float32Array {
  const out = concat(features.map((f) => f.values));
  for (let o = 0; o < out.length; o += dims) for (let d = 0; d < dims; d++) out[o + d] = (out[o + d]! - mean[d]!) / scale[d]!;
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function selectRows(values: Float32Array, dims: number, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * dims);
  indices.forEach((row, k) => out.set(values.subarray(row * dims, (row + 1) * dims), k * dims));
  return out;
}
