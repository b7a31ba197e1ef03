import type { Logger } from '@aws-lambda-powertools/logger';
import { S3CameraUploadStore } from '../adapters/s3/s3-camera-upload-store';
import { getConfig, type Config } from '../config/environment';
import type { CameraUploadDependencies } from '../core/process-camera-upload';
import { createDependencies } from './inspect-image';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, type Observability } from '../adapters/observability/observability';
import { DEFAULT_STATION_ID } from '../adapters/http/inspect-image-route';

/**
 * What the camera upload processor uses: the inspect function's wiring (store, detector, caller, alert policy), with
 * the camera path's own size limit (CAMERA_MAX_IMAGE_BYTES: no API Gateway payload ceiling on a direct S3 upload),
 * and the camera upload store.
 */
export function createCameraDependencies(
  config: Config,
  logger: Logger = createLogger(),
  observability?: Observability,
): CameraUploadDependencies & { config: Config; logger: Logger } {
  const app = createDependencies(config, logger, observability);
  return {
    config,
    logger,
    uploads: new S3CameraUploadStore({ client: app.s3, bucket: config.IMAGE_BUCKET, endpoint: config.S3_ENDPOINT }),
    detector: app.detector,
    inspection: { ...app.inspection, limits: { ...app.inspection.limits, maxBytes: config.CAMERA_MAX_IMAGE_BYTES } },
    defaultStationId: DEFAULT_STATION_ID,
  };
}

let containerDependencies: ReturnType<typeof createCameraDependencies> | undefined;

/** This container's camera processing dependencies, built on first use from the parsed environment. */
export function getCameraDependencies(): ReturnType<typeof createCameraDependencies> {
  const observability = getObservability();
  containerDependencies ??= createCameraDependencies(getConfig(), observability.logger, observability);
  return containerDependencies;
}
