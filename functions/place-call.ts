import { getPlaceCallDependencies } from './alert-dependencies';
import { createRequestObserver, getObservability, withObservability } from './observability';
import { createPlaceCallHandler } from './routes/place-call-handler';

// Built during the Lambda init phase: bad configuration fails the cold start by name.
const dependencies = getPlaceCallDependencies();
const observer = createRequestObserver(getObservability());

/** The alert queue's consumer (SQS event source with ReportBatchItemFailures): one operator call per alert, at most. */
export const handler = withObservability(createPlaceCallHandler(() => ({ ...dependencies, observer })));
