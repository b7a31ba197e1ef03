import { Logger } from '@aws-lambda-powertools/logger';

/** The product's structured JSON logger (Powertools); one per container. */
export function createLogger(): Logger {
  return new Logger({ serviceName: 'waferwatch' });
}
