import { getContactEventsDependencies } from '../wiring/contact-events';
import { withObservability } from '../adapters/observability/observability';
import { createContactEventsHandler } from '../adapters/eventbridge/contact-events-handler';

// Built during the Lambda init phase, so bad configuration fails the cold start by name.
const dependencies = getContactEventsDependencies();

/** Invoked by the EventBridge rule on Amazon Connect contact events: records each ladder call's outcome. */
export const handler = withObservability(createContactEventsHandler(() => dependencies));
