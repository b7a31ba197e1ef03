import { describe, expect, it } from 'vitest';
import { alertDeadLetterQueueConfig, alertQueueConfig } from '../../../functions/config/alert-queue';
import { parseEnvironment } from '../../../functions/config/environment';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts';
const DEAD_LETTERS = 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq';

describe('alertQueueConfig and alertDeadLetterQueueConfig', () => {
  it('reads the queue URLs and the emulator endpoint', () => {
    // Act
    const config = parseEnvironment([alertQueueConfig, alertDeadLetterQueueConfig], {
      ALERT_QUEUE_URL: QUEUE,
      ALERT_DEAD_LETTER_QUEUE_URL: DEAD_LETTERS,
      SQS_ENDPOINT: 'http://127.0.0.1:9324',
    });

    // Assess
    expect(config).toEqual({ ALERT_QUEUE_URL: QUEUE, ALERT_DEAD_LETTER_QUEUE_URL: DEAD_LETTERS, SQS_ENDPOINT: 'http://127.0.0.1:9324' });
  });

  it('refuses queue URLs and endpoints that are not URLs, by name', () => {
    // Act + Assess
    expect(() => parseEnvironment([alertQueueConfig], { ALERT_QUEUE_URL: 'waferwatch-alerts' })).toThrow(
      /ALERT_QUEUE_URL environment variable is not set \(or not a URL\)/,
    );
    expect(() => parseEnvironment([alertDeadLetterQueueConfig], { ALERT_DEAD_LETTER_QUEUE_URL: '' })).toThrow(/ALERT_DEAD_LETTER_QUEUE_URL/);
    expect(() => parseEnvironment([alertQueueConfig], { ALERT_QUEUE_URL: QUEUE, SQS_ENDPOINT: 'not a url' })).toThrow(/SQS_ENDPOINT/);
  });

  it('keeps the dead-letter queue apart: publishing needs only the alert queue', () => {
    // Act + Assess
    expect(parseEnvironment([alertQueueConfig], { ALERT_QUEUE_URL: QUEUE })).toEqual({ ALERT_QUEUE_URL: QUEUE });
  });
});
