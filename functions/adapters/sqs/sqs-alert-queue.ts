import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AlertPublisher, AlertQueueControl, AlertQueueMessage } from '../../core/ports/alert-queue';

export interface SqsAlertPublisherOptions {
  client: SQSClient;
  /** ALERT_QUEUE_URL: where inspections queue alerts and the place-call function reads them. */
  queueUrl: string;
}

export interface SqsAlertQueueOptions extends SqsAlertPublisherOptions {
  /** ALERT_DEAD_LETTER_QUEUE_URL: where alerts that will not be called are parked, with the reason. */
  deadLetterQueueUrl: string;
}

/** The message attribute a parked alert carries its failure code in (and so, once moved back, marks a redrive). */
export const DEAD_LETTER_CODE_ATTRIBUTE = 'failureCode';
/** The message attribute a parked alert carries its readable reason in. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'failureReason';

/** SQS caps a visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** Publishing on the SQS alert queue: what the inspecting functions and the contact-events function do with it. */
export class SqsAlertPublisher implements AlertPublisher {
  constructor(protected readonly options: SqsAlertPublisherOptions) {}

  /** Queue one message (JSON body), delivered after `delaySeconds` (SQS per-message delay, 0–900): the ladder's timers. */
  async publish(message: AlertQueueMessage, delaySeconds = 0): Promise<void> {
    const subject = 'inspectionId' in message ? { inspectionId: message.inspectionId } : { stationId: message.stationId };
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: JSON.stringify(message),
        ...(delaySeconds > 0 ? { DelaySeconds: Math.min(900, Math.round(delaySeconds)) } : {}),
        MessageAttributes: Object.fromEntries(
          [['kind', message.kind ?? 'alert'] as const, ...Object.entries(subject)].map(([name, value]: readonly [string, string]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}

/**
 * The alert queue on SQS as its consumer, the place-call function, uses it: publishing (the ladder's timers), and the
 * two things Lambda's event source mapping does not do by itself: delaying a retry (backoff) and parking an alert in
 * the dead-letter queue with the reason, at once instead of after every redelivery ran out.
 */
export class SqsAlertQueue extends SqsAlertPublisher implements AlertQueueControl {
  constructor(protected override readonly options: SqsAlertQueueOptions) {
    super(options);
  }

  /** Make a received message visible again only after `delaySeconds` (the retry's backoff). */
  async delayRedelivery(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.options.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.options.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(delaySeconds))),
      }),
    );
  }

  /** Park a message body in the dead-letter queue with a stable code and a readable reason as attributes. */
  async deadLetter(body: string, failure: { code: string; reason: string }): Promise<void> {
    await this.options.client.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: {
          [DEAD_LETTER_CODE_ATTRIBUTE]: { DataType: 'String', StringValue: failure.code },
          [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: failure.reason.slice(0, 1000) },
        },
      }),
    );
  }
}
