import { getStoreDependencies } from './store-dependencies';
import { createListInspectionsHandler } from './routes/list-inspections-route';
import { withObservability } from './observability';

// Built during the Lambda init phase, so bad configuration fails the cold start by name.
const dependencies = getStoreDependencies();

/** GET /inspections (API Gateway REST, Lambda proxy). */
export const handler = withObservability(createListInspectionsHandler(() => ({ ...dependencies, allowedOrigins: dependencies.config.ALLOWED_ORIGINS })));
