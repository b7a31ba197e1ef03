import { wireCreateUpload } from '../wiring/create-upload';

/** POST /uploads (API Gateway REST, Lambda proxy): a presigned S3 upload for a camera. */
export const handler = wireCreateUpload();
