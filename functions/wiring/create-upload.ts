import type { Logger } from '@aws-lambda-powertools/logger';
import { S3CameraUploadStore } from '../adapters/s3/s3-camera-upload-store';
import { getConfig, type Config } from '../config/environment';
import type { CameraUploadStore } from '../core/ports/camera-upload-store';
import type { StationLookup } from '../core/ports/station-registry';
import { createLogger } from '../adapters/observability/logger';
import { createStationDependencies } from './shared/stations';
import { getObservability } from '../adapters/observability/observability';
import { createStoreDependencies, type StoreDependencies } from './shared/inspection-store';

/**
 * What POST /uploads uses: the store dependencies and the camera upload store. Apart from the processing wiring
 * (functions/camera-dependencies.ts) so the upload function's bundle carries no detector, no sharp, no Connect client.
 */
export interface UploadDependencies extends StoreDependencies {
  uploads: CameraUploadStore;
  /** The station registry's lookup when there is one (unknown stations are refused). */
  stations?: StationLookup;
}

/** Build the camera upload store over the image bucket the configuration names. */
export function createUploadDependencies(config: Config, logger: Logger = createLogger()): UploadDependencies {
  const storeDependencies = createStoreDependencies(config, logger);
  const { uploadCheck } = createStationDependencies(config);
  return {
    ...storeDependencies,
    uploads: new S3CameraUploadStore({ client: storeDependencies.s3, bucket: config.IMAGE_BUCKET, endpoint: config.S3_ENDPOINT }),
    ...(uploadCheck ? { stations: uploadCheck } : {}),
  };
}

let containerDependencies: UploadDependencies | undefined;

/** This container's upload dependencies, built on first use from the parsed environment. */
export function getUploadDependencies(): UploadDependencies {
  containerDependencies ??= createUploadDependencies(getConfig(), getObservability().logger);
  return containerDependencies;
}
