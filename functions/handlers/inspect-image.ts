import { getDependencies } from '../wiring/inspect-image';
import { createRequestObserver, getObservability, withObservability } from '../adapters/observability/observability';
import { createInspectImageHandler } from '../adapters/http/inspect-image-route';

// Built during the Lambda init phase: bad configuration fails the cold start by name, and the
// embedded model loads with the init CPU burst instead of on the first wafer.
const dependencies = getDependencies();
dependencies.detector().catch(() => undefined); // logged inside; the first request retries the load

const observer = createRequestObserver(getObservability());

/** POST /inspections (API Gateway REST, Lambda proxy). */
export const handler = withObservability(
  createInspectImageHandler(() => ({ ...dependencies, allowedOrigins: dependencies.config.ALLOWED_ORIGINS, observer })),
);
