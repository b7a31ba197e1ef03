import type { Logger } from '@aws-lambda-powertools/logger';
import { createContactEventsHandler } from '../adapters/eventbridge/contact-events-handler';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { alertQueueConfig } from '../config/alert-queue';
import { alertStateConfig } from '../config/alert-state';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import type { CallOutcomeDependencies } from '../core/record-call-outcome';
import { createAlertPublisher, createAlertStateStores } from './shared/alerting';
import { createInspectionStore } from './shared/inspection-store';

/** What the contact-events function reads of its environment: the records, the ladders and the alert queue it publishes on. */
export const CONTACT_EVENTS_CONFIG = [regionConfig, imageBucketConfig, alertStateConfig, alertQueueConfig] as const;

export type ContactEventsConfig = ConfigOfAll<typeof CONTACT_EVENTS_CONFIG>;

/** Parse the contact-events function's environment; throws ConfigurationError naming each bad variable. */
export function readContactEventsConfig(env: Record<string, string | undefined> = process.env): ContactEventsConfig {
  return parseEnvironment(CONTACT_EVENTS_CONFIG, env);
}

/** Build what recording call outcomes uses: the records, the ladders and the alert queue (a step that ended escalates at once). */
export function createContactEventsDependencies(config: ContactEventsConfig, logger: Logger = getObservability().logger): CallOutcomeDependencies {
  return {
    store: createInspectionStore(config).store,
    ladders: createAlertStateStores(config).ladders,
    queue: createAlertPublisher(config),
    logger,
  };
}

/**
 * The handler of the EventBridge rule on Amazon Connect contact events, built once per container during the init
 * phase: bad configuration fails the cold start by name.
 */
export function wireContactEvents(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createContactEventsDependencies(readContactEventsConfig(env), observability.logger);
  return withObservability(
    createContactEventsHandler(() => dependencies),
    observability,
  );
}
