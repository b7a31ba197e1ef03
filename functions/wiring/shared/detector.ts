import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadEmbeddedDetector } from '../../adapters/embedded-detector';
import { readModelBytes } from '../../adapters/embedded-detector/model-source';
import { loadOnnxDetector, type OnnxDetector } from '../../adapters/onnx';
import { namedDetector } from '../../adapters/model-cache/named-detector';
import type { SageMakerDetector } from '../../adapters/sagemaker/sagemaker-detector';
import { timedDetector, traced, type Observability } from '../../adapters/observability/observability';
import type { detectorConfig } from '../../config/detector';
import type { ConfigOf } from '../../config/environment';
import type { regionConfig } from '../../config/region';
import { DetectorUnavailableError } from '../../core/errors';
import type { Detector } from '../../core/ports/detector';

/** The configuration a detector is built from. */
export type DetectorConfig = ConfigOf<typeof regionConfig> & ConfigOf<typeof detectorConfig>;

/**
 * The detector DETECTOR names, loaded on first use and kept for the container's life; a failed load is logged, answered
 * with DetectorUnavailableError and tried again by the next call. With `observability`, every detect() is timed.
 * `s3` reads an embedded model given as an s3:// URI.
 */
export function createDetectorLoader(config: DetectorConfig, s3: S3Client, logger: Logger, observability?: Observability): () => Promise<Detector> {
  let loading: Promise<Detector> | undefined;
  return () => {
    const started = performance.now();
    loading ??= loadDetector(config, s3)
      .then((loaded) => {
        logger.info('The anomaly detector is loaded', { detector: config.DETECTOR, loadMs: Math.round(performance.now() - started) });
        // Its verdicts name the stage's model, as a station's own model's name theirs (station-detectors.ts).
        const named = namedDetector(loaded, stageModelName(config));
        return observability ? timedDetector(named, observability.metrics) : named;
      })
      .catch((error: unknown) => {
        // Let the next request try again rather than keep a container whose model never loads.
        loading = undefined;
        logger.error('The anomaly detector could not be loaded', { error: String(error) });
        throw new DetectorUnavailableError('The anomaly detector could not be loaded; the image is kept and can be inspected later.');
      });
    return loading;
  };
}

async function loadDetector(config: DetectorConfig, s3: S3Client): Promise<Detector> {
  if (config.DETECTOR === 'lookoutvision') {
    // Imported here, not at the top: a stage on another detector never reads Lookout's SDK client (a chunk of its own).
    const [{ LookoutVisionDetector }, { createLookoutVisionClient }] = await Promise.all([
      import('../../adapters/lookout/lookout-vision-detector'),
      import('../../adapters/lookout/lookout-vision-client'),
    ]);
    return new LookoutVisionDetector({
      client: traced(createLookoutVisionClient({ region: config.AWS_REGION, endpoint: config.LOOKOUT_ENDPOINT })),
      // Required by detectorConfig's check when DETECTOR=lookoutvision.
      projectName: config.LOOKOUT_PROJECT_NAME!,
      modelVersion: config.LOOKOUT_MODEL_VERSION!,
    });
  }
  if (config.DETECTOR === 'sagemaker') return createSageMakerDetector(config);
  if (config.DETECTOR === 'onnx') return readOnnxDetector(config, s3);
  return loadEmbeddedDetector(await readModelBytes(config.EMBEDDED_MODEL_URI, s3));
}

/** The SageMaker settings a detector is built from (a station's own, later, or the function's). */
export type SageMakerDetectorConfig = Pick<DetectorConfig, 'AWS_REGION' | 'SAGEMAKER_ENDPOINT_NAME' | 'SAGEMAKER_RUNTIME_ENDPOINT' | 'SAGEMAKER_CONTENT_TYPE'>;

/**
 * The detector that asks the SageMaker endpoint SAGEMAKER_ENDPOINT_NAME names; a function of its settings only. Its SDK
 * client is imported on first use, so functions and stations that never use SageMaker never read it.
 */
export async function createSageMakerDetector(config: SageMakerDetectorConfig): Promise<SageMakerDetector> {
  if (!config.SAGEMAKER_ENDPOINT_NAME) throw new Error('SAGEMAKER_ENDPOINT_NAME is required for the SageMaker detector');
  const [{ SageMakerDetector }, { createSageMakerRuntimeClient }] = await Promise.all([
    import('../../adapters/sagemaker/sagemaker-detector'),
    import('../../adapters/sagemaker/sagemaker-runtime-client'),
  ]);
  return new SageMakerDetector({
    client: traced(createSageMakerRuntimeClient({ region: config.AWS_REGION, endpoint: config.SAGEMAKER_RUNTIME_ENDPOINT })),
    endpointName: config.SAGEMAKER_ENDPOINT_NAME,
    ...(config.SAGEMAKER_CONTENT_TYPE ? { contentType: config.SAGEMAKER_CONTENT_TYPE } : {}),
  });
}

/** The ONNX settings a detector is built from (a station's own, later, or the function's). */
export type OnnxDetectorConfig = Pick<
  DetectorConfig,
  'ONNX_MODEL_URI' | 'ONNX_MODEL_SHA256' | 'ONNX_THRESHOLD' | 'ONNX_INPUT_SIZE' | 'ONNX_INPUT_NORMALIZATION'
>;

/**
 * The detector that runs the anomalib-exported ONNX model ONNX_MODEL_URI names (a file, or s3:// read with `s3`),
 * refused when its bytes do not match ONNX_MODEL_SHA256 or it lacks anomalib's inputs and outputs. Call once per model.
 */
export async function readOnnxDetector(config: OnnxDetectorConfig, s3: S3Client): Promise<OnnxDetector> {
  if (!config.ONNX_MODEL_URI) throw new Error('ONNX_MODEL_URI is required for the ONNX detector');
  return loadOnnxDetector(await readModelBytes(config.ONNX_MODEL_URI, s3), {
    modelName: config.ONNX_MODEL_URI.split('/').pop() || config.ONNX_MODEL_URI,
    threshold: config.ONNX_THRESHOLD,
    normalization: config.ONNX_INPUT_NORMALIZATION,
    ...(config.ONNX_MODEL_SHA256 ? { expectedSha256: config.ONNX_MODEL_SHA256 } : {}),
    ...(config.ONNX_INPUT_SIZE ? { inputSize: config.ONNX_INPUT_SIZE } : {}),
  });
}

/** How the stage's own model is named on the records: the setting as given, a path inside the project relative to it. */
export function stageModelName(config: DetectorConfig): string {
  if (config.DETECTOR === 'lookoutvision') return `lookoutvision:${config.LOOKOUT_PROJECT_NAME ?? ''}`;
  if (config.DETECTOR === 'sagemaker') return `sagemaker:${config.SAGEMAKER_ENDPOINT_NAME ?? ''}`;
  const uri = config.DETECTOR === 'onnx' ? (config.ONNX_MODEL_URI ?? '') : config.EMBEDDED_MODEL_URI;
  if (uri.startsWith('s3://') || !path.isAbsolute(uri)) return uri;
  const relative = path.relative(process.cwd(), uri);
  return relative.startsWith('..') ? path.basename(uri) : relative;
}
