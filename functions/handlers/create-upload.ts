import { createCreateUploadHandler } from '../adapters/http/create-upload-route';
import { getUploadDependencies } from '../wiring/create-upload';
import { withObservability } from '../adapters/observability/observability';

// Built during the Lambda init phase, so bad configuration fails the cold start by name.
const dependencies = getUploadDependencies();

/** POST /uploads (API Gateway REST, Lambda proxy): a presigned S3 upload for a camera. */
export const handler = withObservability(createCreateUploadHandler(() => ({
  ...dependencies,
  allowedOrigins: dependencies.config.ALLOWED_ORIGINS,
  maxBytes: dependencies.config.CAMERA_MAX_IMAGE_BYTES,
  expiresInSeconds: dependencies.config.UPLOAD_URL_EXPIRY_SECONDS,
})));
