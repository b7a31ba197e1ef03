import type { Logger } from '@aws-lambda-powertools/logger';
import { createLogger } from '../adapters/observability/logger';
import { createRequestObserver, getObservability, withObservability, type Observability } from '../adapters/observability/observability';
import { S3CameraUploadStore } from '../adapters/s3/s3-camera-upload-store';
import { createCameraUploadQueueHandler, type ProcessCameraUploadHandlerDependencies } from '../adapters/sqs/process-camera-upload-handler';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { cameraImageLimitsConfig } from '../config/image-limits';
import { regionConfig } from '../config/region';
import { DEFAULT_STATION_ID } from '../core/station-registry';
import { createInspectionPipeline, INSPECTION_PIPELINE_FRAGMENTS } from './shared/inspection-pipeline';

/** What the camera upload processor reads of its environment: the inspect function's, with the camera path's size limit and no CORS. */
export const PROCESS_CAMERA_UPLOAD_CONFIG = [regionConfig, imageBucketConfig, cameraImageLimitsConfig, ...INSPECTION_PIPELINE_FRAGMENTS] as const;

export type ProcessCameraUploadConfig = ConfigOfAll<typeof PROCESS_CAMERA_UPLOAD_CONFIG>;

/** Parse the camera upload processor's environment; throws ConfigurationError naming each bad variable. */
export function readProcessCameraUploadConfig(env: Record<string, string | undefined> = process.env): ProcessCameraUploadConfig {
  return parseEnvironment(PROCESS_CAMERA_UPLOAD_CONFIG, env);
}

/**
 * What the camera upload processor uses: the inspection pipeline within the camera path's limits
 * (CAMERA_MAX_IMAGE_BYTES: no API Gateway payload ceiling on a direct S3 upload), and the camera upload store.
 */
export function createCameraUploadDependencies(
  config: ProcessCameraUploadConfig,
  logger: Logger = createLogger(),
  observability?: Observability,
): ProcessCameraUploadHandlerDependencies & { config: ProcessCameraUploadConfig; logger: Logger } {
  const limits = { maxBytes: config.CAMERA_MAX_IMAGE_BYTES, minSide: config.MIN_IMAGE_SIDE, maxSide: config.MAX_IMAGE_SIDE };
  const pipeline = createInspectionPipeline(config, limits, logger, observability);
  return {
    config,
    logger,
    bucket: config.IMAGE_BUCKET,
    uploads: new S3CameraUploadStore({ client: pipeline.s3, bucket: config.IMAGE_BUCKET, endpoint: config.S3_ENDPOINT }),
    detector: pipeline.detector,
    inspection: pipeline.inspection,
    defaultStationId: DEFAULT_STATION_ID,
  };
}

/**
 * The camera upload processor's Lambda handler (SQS messages carrying the bucket's incoming/ notifications), built
 * once per container during the init phase: bad configuration fails the cold start by name, and the embedded model
 * starts loading with the init CPU burst.
 */
export function wireProcessCameraUpload(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createCameraUploadDependencies(readProcessCameraUploadConfig(env), observability.logger, observability);
  dependencies.detector().catch(() => undefined); // logged inside; the first upload retries the load
  const observer = createRequestObserver(observability);
  return withObservability(
    createCameraUploadQueueHandler(() => ({ ...dependencies, observer })),
    observability,
  );
}
