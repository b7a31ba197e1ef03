import { getCameraDependencies } from './camera-dependencies';
import { createProcessCameraUploadHandler } from './routes/process-camera-upload-handler';

// Built during the Lambda init phase: bad configuration fails the cold start by name, and the embedded model
// loads with the init CPU burst instead of on the first wafer.
const dependencies = getCameraDependencies();
dependencies.detector().catch(() => undefined); // logged inside; the first upload retries the load

/** S3 ObjectCreated on incoming/ of the image bucket (asynchronous invocation; failures retried, then queued). */
export const handler = createProcessCameraUploadHandler(() => ({ ...dependencies, bucket: dependencies.config.IMAGE_BUCKET }));
