import { getStoreDependencies } from '../wiring/shared/inspection-store';
import { createListInspectionsHandler } from '../adapters/http/list-inspections-route';
import { withObservability } from '../adapters/observability/observability';

// Built during the Lambda init phase, so bad configuration fails the cold start by name.
const dependencies = getStoreDependencies();

/** GET /inspections (API Gateway REST, Lambda proxy). */
export const handler = withObservability(createListInspectionsHandler(() => ({ ...dependencies, allowedOrigins: dependencies.config.ALLOWED_ORIGINS })));
