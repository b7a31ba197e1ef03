import { getPlaceCallDependencies } from '../wiring/place-call';
import { createRequestObserver, getObservability, withObservability } from '../adapters/observability/observability';
import { createPlaceCallHandler } from '../adapters/sqs/place-call-handler';

// Built during the Lambda init phase: bad configuration fails the cold start by name.
const dependencies = getPlaceCallDependencies();
const observer = createRequestObserver(getObservability());

/** The alert queue's consumer (SQS event source with ReportBatchItemFailures): one operator call per alert, at most. */
export const handler = withObservability(createPlaceCallHandler(() => ({ ...dependencies, observer })));
