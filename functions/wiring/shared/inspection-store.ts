import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../adapters/aws-clients';
import { traced } from '../../adapters/observability/observability';
import { S3InspectionStore } from '../../adapters/s3/s3-inspection-store';
import type { ConfigOf } from '../../config/environment';
import type { imageBucketConfig } from '../../config/image-bucket';
import type { regionConfig } from '../../config/region';

/** The configuration the image bucket's adapters are built from. */
export type InspectionStoreConfig = ConfigOf<typeof regionConfig> & ConfigOf<typeof imageBucketConfig>;

/** The image bucket's S3 client, traced. */
export function createImageBucketClient(config: InspectionStoreConfig): S3Client {
  return traced(createS3Client({ region: config.AWS_REGION, endpoint: config.S3_ENDPOINT }));
}

/** The image bucket's S3 client and the inspection store on it. */
export function createInspectionStore(config: InspectionStoreConfig): { s3: S3Client; store: S3InspectionStore } {
  const s3 = createImageBucketClient(config);
  return { s3, store: new S3InspectionStore({ client: s3, bucket: config.IMAGE_BUCKET }) };
}
