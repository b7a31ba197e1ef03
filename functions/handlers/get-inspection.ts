import { getUploadDependencies } from '../wiring/create-upload';
import { createGetInspectionHandler } from '../adapters/http/get-inspection-route';
import { withObservability } from '../adapters/observability/observability';

// Built during the Lambda init phase, so bad configuration fails the cold start by name.
const dependencies = getUploadDependencies();

/** GET /inspections/{id} (API Gateway REST, Lambda proxy). */
export const handler = withObservability(createGetInspectionHandler(() => ({ ...dependencies, allowedOrigins: dependencies.config.ALLOWED_ORIGINS })));
