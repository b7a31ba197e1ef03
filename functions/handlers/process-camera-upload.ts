import { wireProcessCameraUpload } from '../wiring/process-camera-upload';

/**
 * SQS messages carrying the image bucket's S3 ObjectCreated notifications for incoming/ (partial batch responses:
 * a failed upload is redelivered, then dead-lettered; the others are done).
 */
export const handler = wireProcessCameraUpload();
