import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createS3Client } from '../../adapters/aws-clients';
import { S3InspectionStore } from '../../adapters/s3/s3-inspection-store';
import { getConfig, type Config } from '../../config/environment';
import type { InspectionStore } from '../../core/ports/inspection-store';
import { createLogger } from '../../adapters/observability/logger';
import { getObservability, traced } from '../../adapters/observability/observability';

/**
 * What the read-only functions (get, list) use: configuration, logger and the inspection store.
 * Kept apart from the inspect function's wiring so their bundles carry no detector, no sharp and no Connect client.
 */
export interface StoreDependencies {
  config: Config;
  logger: Logger;
  store: InspectionStore;
  /** The S3 client behind the store, for other reads of the same bucket family (e.g. a model from S3). */
  s3: S3Client;
}

/** Build the S3 inspection store the configuration names. */
export function createStoreDependencies(config: Config, logger: Logger = createLogger()): StoreDependencies {
  const s3 = traced(createS3Client({ region: config.AWS_REGION, endpoint: config.S3_ENDPOINT }));
  return { config, logger, s3, store: new S3InspectionStore({ client: s3, bucket: config.IMAGE_BUCKET }) };
}

let containerDependencies: StoreDependencies | undefined;

/** This container's read-side dependencies, built on first use from the parsed environment. */
export function getStoreDependencies(): StoreDependencies {
  containerDependencies ??= createStoreDependencies(getConfig(), getObservability().logger);
  return containerDependencies;
}
