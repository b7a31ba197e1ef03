import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { DetectionResult } from '../../core/detection';
import { CorruptImageError, DetectorUnavailableError } from '../../core/errors';
import type { Detector } from '../../core/ports/detector';
import type { ValidatedWaferImage } from '../../core/wafer-image';
import { ANOMALY_COLOR, BACKGROUND_COLOR, renderAnomalyMask } from '../embedded-detector/anomaly-mask';
import { decodeModelInput, type InputNormalization, type OnnxInputImage } from './onnx-input';
import { OnnxModelError, readModelSignature, type ImageSize, type OnnxModelSignature } from './onnx-model-signature';

/** Name of the one anomaly label the ONNX detector paints (anomalib's models have no defect classes). */
export const ANOMALY_LABEL = 'anomaly';
/**
 * The anomaly map value at or above which a pixel is painted when the model gives no pred_mask: anomalib normalises
 * the map so that its learned pixel threshold sits at 0.5, and pred_mask is anomaly_map > 0.5.
 */
export const PIXEL_THRESHOLD = 0.5;

export interface OnnxDetectorOptions {
  /** The pred_score at or above which a wafer is anomalous (ONNX_THRESHOLD). */
  threshold: number;
  /** The input size when the model leaves it open (ONNX_INPUT_SIZE); must match a fixed one. */
  inputSize?: ImageSize;
  /** ONNX_INPUT_NORMALIZATION; `none` for an anomalib >= 2 export. */
  normalization: InputNormalization;
  /** The model file's expected sha256 (ONNX_MODEL_SHA256); when set, other bytes are refused. */
  expectedSha256?: string;
  /** The model file's name, for the model version on every record (e.g. `patchcore-wafer.onnx`). */
  modelName: string;
}

/** The ONNX Runtime module, loaded on first use (see loadOnnxDetector). */
type OnnxRuntime = typeof import('onnxruntime-node');

/**
 * Detector running an anomalib-exported ONNX model (PatchCore, PaDiM and the like) in the function, on CPU with
 * onnxruntime-node: the image is decoded once with sharp, stretched to the model's input, run, and the model's
 * pred_score becomes the verdict and its confidence, its anomaly_map the mask.
 */
export class OnnxDetector implements Detector<OnnxInputImage> {
  constructor(
    private readonly session: InferenceSession,
    private readonly runtime: OnnxRuntime,
    readonly signature: OnnxModelSignature,
    private readonly options: Pick<OnnxDetectorOptions, 'threshold' | 'normalization'>,
    readonly modelVersion: string,
  ) {}

  /**
   * Decode the image into the model's input tensor. The inspection pipeline uses this as the image's decode check
   * (CorruptImageError for truncated or corrupt pixel data) and hands the result back to detect().
   */
  async prepare(image: ValidatedWaferImage): Promise<OnnxInputImage> {
    return this.decode(image.bytes);
  }

  /** Decide whether the wafer is anomalous; answers in Lookout for Vision's DetectAnomalies shape with a mask. */
  async detect(image: ValidatedWaferImage, prepared?: OnnxInputImage): Promise<DetectionResult> {
    const input = prepared ?? (await this.decode(image.bytes));
    const outputs = await this.run(input);
    return this.verdict(input, outputs);
  }

  /** The same as detect, from bare PNG/JPEG bytes (evaluation and benchmarks). */
  async detectBytes(bytes: Uint8Array): Promise<DetectionResult> {
    const input = await this.decode(bytes);
    return this.verdict(input, await this.run(input));
  }

  /** Free the session's native memory (a container keeps its detector for life; tests and model switches call this). */
  async release(): Promise<void> {
    await this.session.release();
  }

  private async decode(bytes: Uint8Array): Promise<OnnxInputImage> {
    try {
      return await decodeModelInput(bytes, this.signature.inputSize, this.options.normalization);
    } catch {
      throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
    }
  }

  private async run(input: OnnxInputImage): Promise<InferenceSession.ReturnType> {
    const { Tensor: TensorOf } = this.runtime;
    const feeds: Record<string, Tensor> = {
      [this.signature.imageInput]: new TensorOf('float32', input.tensor, [1, 3, input.height, input.width]),
    };
    // anomalib's sensitivity is 1 − the normalised threshold; the verdict below applies ONNX_THRESHOLD itself, so
    // these only keep the graph's own pred_label and pred_mask at its learned thresholds.
    for (const { name, dims } of this.signature.sensitivityInputs) feeds[name] = new TensorOf('float32', new Float32Array([0.5]), dims);
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw unavailable('model-error', 'The anomaly detection model failed on this image.', error);
    }
  }

  private verdict(input: OnnxInputImage, outputs: InferenceSession.ReturnType): DetectionResult {
    const { signature, options } = this;
    const score = readScore(outputs[signature.predScore]);
    const map = readMap(outputs[signature.anomalyMap], signature.anomalyMap);
    const isAnomalous = score >= options.threshold;
    // Like Lookout and the embedded detector, only an anomalous verdict paints anomalies.
    const flags = new Uint8Array(map.width * map.height);
    if (isAnomalous) {
      const mask = signature.predMask ? outputs[signature.predMask] : undefined;
      const maskData = mask && mask.data.length === flags.length ? (mask.data as ArrayLike<number | boolean>) : undefined;
      for (let i = 0; i < flags.length; i++) flags[i] = (maskData ? Boolean(maskData[i]) : map.values[i]! >= PIXEL_THRESHOLD) ? 1 : 0;
    }
    // Each map cell is one "patch" of one working pixel: renderAnomalyMask stretches the map back over the source.
    const mask = renderAnomalyMask(
      { flags, gridWidth: map.width, gridHeight: map.height, patchSize: 1, stride: 1, workingWidth: map.width, workingHeight: map.height },
      input.sourceWidth,
      input.sourceHeight,
    );
    const anomalousPercent = (100 * mask.anomalousPixels) / mask.totalPixels;
    const anomalies: DetectionResult['Anomalies'] = [
      { Name: 'background', PixelAnomaly: { TotalPercentageArea: 100 - anomalousPercent, Color: BACKGROUND_COLOR } },
    ];
    if (mask.anomalousPixels > 0) anomalies.push({ Name: ANOMALY_LABEL, PixelAnomaly: { TotalPercentageArea: anomalousPercent, Color: ANOMALY_COLOR } });
    const probability = anomalyProbability(score, options.threshold);
    return {
      IsAnomalous: isAnomalous,
      Confidence: isAnomalous ? probability : 1 - probability,
      Anomalies: anomalies,
      AnomalyMask: mask.png,
      AnomalyScore: score,
      Detector: { name: 'onnx', modelVersion: this.modelVersion },
    };
  }
}

/**
 * How likely the wafer is anomalous, from pred_score and the threshold: the threshold maps to 0.5 and the score's
 * range on either side of it is stretched linearly to [0, 0.5) and [0.5, 1]. With anomalib's threshold (0.5) this is
 * pred_score itself; a raised ONNX_THRESHOLD keeps "anomalous" meaning "more likely than not", as the embedded
 * detector's logistic centred on its threshold does, so the alert policy reads both the same way.
 */
export function anomalyProbability(score: number, threshold: number): number {
  if (score >= threshold) return threshold >= 1 ? 1 : 0.5 + (0.5 * (score - threshold)) / (1 - threshold);
  return (0.5 * score) / threshold;
}

/**
 * Build the ONNX detector from a model file's bytes: check the sha256 when one is expected, open one InferenceSession
 * (CPU, every graph optimisation, as many intra-op threads as the container has CPUs; Lambda gives one vCPU per
 * 1769 MB) and check the model's inputs and outputs. Throws OnnxModelError when the bytes do not match, are not a
 * model onnxruntime can load, or lack anomalib's signature. Call once per container per model. onnxruntime-node is
 * imported here, on first use, so functions configured with another detector never load its 25 MB native library.
 */
export async function loadOnnxDetector(modelBytes: Uint8Array, options: OnnxDetectorOptions): Promise<OnnxDetector> {
  const sha256 = createHash('sha256').update(modelBytes).digest('hex');
  if (options.expectedSha256 && options.expectedSha256.toLowerCase() !== sha256) {
    throw new OnnxModelError(
      `The ONNX model ${options.modelName} has sha256 ${sha256}, not the expected ${options.expectedSha256.toLowerCase()} (ONNX_MODEL_SHA256).`,
    );
  }
  const runtime = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await runtime.InferenceSession.create(modelBytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: availableParallelism(),
      // One image per request: parallelism inside operators, not between them.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Warnings only: Lambda bills log bytes, and ORT's info lines are per session.
      logSeverityLevel: 2,
    });
  } catch (error) {
    throw new OnnxModelError(`The ONNX model ${options.modelName} cannot be loaded by onnxruntime: ${firstLine(error)}`);
  }
  let signature: OnnxModelSignature;
  try {
    signature = readModelSignature(session.inputMetadata, session.outputMetadata, options.inputSize, options.modelName);
  } catch (error) {
    await session.release();
    throw error;
  }
  // libvips' operation cache only holds memory here: every wafer is decoded once (see loadEmbeddedDetector).
  sharp.cache(false);
  return new OnnxDetector(session, runtime, signature, options, onnxModelVersion(options.modelName, sha256));
}

/** The model version on every record: the file's name and the first 12 hex digits of its sha256. */
export function onnxModelVersion(modelName: string, sha256: string): string {
  return `${modelName}@${sha256.slice(0, 12)}`;
}

function readScore(tensor: Tensor | undefined): number {
  const value = tensor && tensor.data.length === 1 ? Number(tensor.data[0]) : Number.NaN;
  // A raw, unnormalised score (an export with the post-processor's normalisation off) has no fixed threshold: refuse
  // it rather than call every wafer anomalous or normal.
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw unavailable('malformed-answer', 'The anomaly detection model gave no pred_score from 0 to 1 (is it exported with normalisation on?).');
  }
  return value;
}

function readMap(tensor: Tensor | undefined, name: string): { values: Float32Array; width: number; height: number } {
  const dims = tensor?.dims ?? [];
  const height = dims[dims.length - 2] ?? 0;
  const width = dims[dims.length - 1] ?? 0;
  if (!tensor || tensor.type !== 'float32' || dims.length < 2 || width * height === 0 || tensor.data.length !== width * height) {
    throw unavailable('malformed-answer', `The anomaly detection model's ${name} is not one map of the image.`);
  }
  return { values: tensor.data as Float32Array, width, height };
}

function unavailable(reason: 'model-error' | 'malformed-answer', message: string, cause?: unknown): DetectorUnavailableError {
  const error = new DetectorUnavailableError(message, undefined, { detector: 'onnx', reason });
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}

export { OnnxModelError };
