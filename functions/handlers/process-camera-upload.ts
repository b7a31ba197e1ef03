import { getCameraDependencies } from '../wiring/process-camera-upload';
import { createRequestObserver, getObservability, withObservability } from '../adapters/observability/observability';
import { createCameraUploadQueueHandler } from '../adapters/sqs/process-camera-upload-handler';

// Built during the Lambda init phase: bad configuration fails the cold start by name, and the embedded model
// loads with the init CPU burst instead of on the first wafer.
const dependencies = getCameraDependencies();
dependencies.detector().catch(() => undefined); // logged inside; the first upload retries the load
const observer = createRequestObserver(getObservability());

/**
 * SQS messages carrying the image bucket's S3 ObjectCreated notifications for incoming/ (partial batch responses:
 * a failed upload is redelivered, then dead-lettered; the others are done).
 */
export const handler = withObservability(
  createCameraUploadQueueHandler(() => ({ ...dependencies, bucket: dependencies.config.IMAGE_BUCKET, observer })),
);
