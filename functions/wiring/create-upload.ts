import type { Logger } from '@aws-lambda-powertools/logger';
import { createCreateUploadHandler, type CreateUploadRouteDependencies } from '../adapters/http/create-upload-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { S3CameraUploadStore } from '../adapters/s3/s3-camera-upload-store';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { cameraUploadGrantConfig } from '../config/image-limits';
import { regionConfig } from '../config/region';
import { stationRegistryConfig } from '../config/station-registry';
import { createImageBucketClient } from './shared/inspection-store';
import { uploadStationCheck } from './shared/station-registry';

/**
 * What POST /uploads reads of its environment: the bucket, the CORS origins, what a presigned upload grants and the
 * station registry (an upload for a station it does not have is refused). No detector, no Connect, no queues.
 */
export const CREATE_UPLOAD_CONFIG = [regionConfig, imageBucketConfig, apiConfig, cameraUploadGrantConfig, stationRegistryConfig] as const;

export type CreateUploadConfig = ConfigOfAll<typeof CREATE_UPLOAD_CONFIG>;

/** Parse the create-upload function's environment; throws ConfigurationError naming each bad variable. */
export function readCreateUploadConfig(env: Record<string, string | undefined> = process.env): CreateUploadConfig {
  return parseEnvironment(CREATE_UPLOAD_CONFIG, env);
}

/** The camera upload store over the image bucket, the grant's bounds and, with a registry, the station check. */
export function createUploadDependencies(config: CreateUploadConfig, logger: Logger = createLogger()): CreateUploadRouteDependencies {
  const s3 = createImageBucketClient(config);
  const stations = uploadStationCheck(config);
  return {
    uploads: new S3CameraUploadStore({ client: s3, bucket: config.IMAGE_BUCKET, endpoint: config.S3_ENDPOINT }),
    maxBytes: config.CAMERA_MAX_IMAGE_BYTES,
    expiresInSeconds: config.UPLOAD_URL_EXPIRY_SECONDS,
    ...(stations ? { stations } : {}),
    allowedOrigins: config.ALLOWED_ORIGINS,
    logger,
  };
}

/** The create-upload function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireCreateUpload(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createUploadDependencies(readCreateUploadConfig(env), observability.logger);
  return withObservability(
    createCreateUploadHandler(() => dependencies),
    observability,
  );
}
