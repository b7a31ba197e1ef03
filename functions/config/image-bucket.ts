import { configFragment, optionalUrl, requiredText } from './environment';

/** The image bucket: wafer images, anomaly masks, inspection records and camera uploads. */
export const imageBucketConfig = configFragment({
  IMAGE_BUCKET: requiredText('IMAGE_BUCKET', 3),
  /** Local and test override of the S3 endpoint (s3rver); unset in AWS. */
  S3_ENDPOINT: optionalUrl,
});
