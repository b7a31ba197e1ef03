import * as z from 'zod';
import { configFragment, positiveInt } from './environment';

const sides = {
  MIN_IMAGE_SIDE: positiveInt(64),
  MAX_IMAGE_SIDE: positiveInt(4096),
};

/** Camera path (POST /uploads, straight to S3): its own size limit, above the API's, since no API Gateway payload ceiling applies. */
const CAMERA_MAX_IMAGE_BYTES = positiveInt(20 * 1024 * 1024);

/** What an image sent to POST /inspections must satisfy. */
export const imageLimitsConfig = configFragment({
  MAX_IMAGE_BYTES: positiveInt(4 * 1024 * 1024),
  ...sides,
});

/** What a camera upload must satisfy: the camera path's size limit and the same sides. */
export const cameraImageLimitsConfig = configFragment({
  CAMERA_MAX_IMAGE_BYTES,
  ...sides,
});

/** What a presigned camera upload grants: at most CAMERA_MAX_IMAGE_BYTES, for UPLOAD_URL_EXPIRY_SECONDS. */
export const cameraUploadGrantConfig = configFragment({
  CAMERA_MAX_IMAGE_BYTES,
  /** How long a presigned camera upload stays usable, in seconds. */
  UPLOAD_URL_EXPIRY_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
});
