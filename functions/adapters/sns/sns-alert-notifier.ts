import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertNotifier } from '../../core/ports/alert-notifier';
import type { DomainLogger } from '../../core/ports/domain-logger';

export interface SnsAlertNotifierOptions {
  /** Unset (the local stack without the SNS emulator): the notice is logged as an error only. */
  client?: SNSClient;
  topicArn?: string;
  logger: DomainLogger;
}

/**
 * Tells people an alert reached nobody, on the SNS topic (email, SMS or a pager subscribe to it). The text names the
 * station by its registry name and the inspection id; it carries no phone number and nothing a client sent.
 */
export class SnsAlertNotifier implements AlertNotifier {
  constructor(private readonly options: SnsAlertNotifierOptions) {}

  /** Publish one notice; rejects when SNS refuses it after the SDK's retries (the message is retried by the queue). */
  async alertNotDelivered(notice: Parameters<AlertNotifier['alertNotDelivered']>[0]): Promise<void> {
    const headline =
      notice.status === 'unacknowledged'
        ? `waferwatch: nobody acknowledged an anomaly on ${notice.stationName}`
        : `waferwatch: no call could be placed for an anomaly on ${notice.stationName}`;
    this.options.logger.error('An alert reached nobody; people are notified', { ...notice });
    const { client, topicArn } = this.options;
    if (!client || !topicArn) return;
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        // SNS email subjects: ASCII, at most 100 characters, no line breaks.
        Subject: headline.replace(/[^\x20-\x7E]/g, '?').slice(0, 100),
        Message: [headline, '', `Inspection: ${notice.inspectionId}`, `Station: ${notice.stationId}`, `Alert: ${notice.status}`, notice.reason].join('\n'),
        MessageAttributes: {
          inspectionId: { DataType: 'String', StringValue: notice.inspectionId },
          status: { DataType: 'String', StringValue: notice.status },
        },
      }),
    );
  }

  /** Publish that a daily call cap was reached (once per limit and day; see AlertNotifier.callCapReached). */
  async callCapReached(notice: Parameters<AlertNotifier['callCapReached']>[0]): Promise<void> {
    const headline =
      notice.limit === 'station'
        ? `waferwatch: ${notice.stationName} reached its daily call cap`
        : 'waferwatch: the daily call ceiling for all stations is reached';
    this.options.logger.error('A daily call cap is reached; people are notified', { ...notice });
    const { client, topicArn } = this.options;
    if (!client || !topicArn) return;
    const scope =
      notice.limit === 'station'
        ? `Station ${notice.stationId} has had its ${notice.cap} operator calls of ${notice.dayUtc} (UTC).`
        : `All stations together have had the ${notice.cap} operator calls of ${notice.dayUtc} (UTC).`;
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: headline.replace(/[^\x20-\x7E]/g, '?').slice(0, 100),
        Message: [
          headline,
          '',
          scope,
          'Further anomalies of the day are recorded and listed on the page, but nobody is phoned about them until the cap resets at midnight UTC.',
          "Look at the station: a flood of anomalies is either a real process problem or someone sending images that are not the line's.",
          `First alert refused: ${notice.inspectionId}`,
        ].join('\n'),
        MessageAttributes: {
          inspectionId: { DataType: 'String', StringValue: notice.inspectionId },
          status: { DataType: 'String', StringValue: 'call-cap-reached' },
          limit: { DataType: 'String', StringValue: notice.limit },
        },
      }),
    );
  }
}
