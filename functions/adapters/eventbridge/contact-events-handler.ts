import type { EventBridgeEvent } from 'aws-lambda';
import { recordCallOutcome, type CallOutcomeDependencies, type CallOutcomeResult, type ContactEventReport } from '../../core/record-call-outcome';

/** The part of an Amazon Connect contact event's `detail` the product reads (Connect sends many more fields). */
export interface ConnectContactEventDetail {
  eventType?: string;
  contactId?: string;
  channel?: string;
  instanceArn?: string;
  initiationMethod?: string;
  initiationTimestamp?: string;
  connectedToSystemTimestamp?: string;
  disconnectTimestamp?: string;
  disconnectReason?: string;
  answeringMachineDetectionStatus?: string;
}

/** An Amazon Connect contact event as EventBridge delivers it (rule: source aws.connect). */
export type ConnectContactEvent = EventBridgeEvent<'Amazon Connect Contact Event', ConnectContactEventDetail>;

const CONTACT_ID = /^[A-Za-z0-9-]{1,128}$/;

/**
 * The contact-events function: EventBridge's rule on `aws.connect` contact events invokes it (asynchronously, with
 * retries and a dead-letter queue). Voice calls of our ladders have their outcome recorded; anything else is ignored.
 * A failure of the stores throws, so EventBridge retries the event; the ladder's timer covers an event lost for good.
 */
export function createContactEventsHandler(resolveDependencies: () => CallOutcomeDependencies): (event: ConnectContactEvent) => Promise<CallOutcomeResult> {
  return async (event) => {
    const deps = resolveDependencies();
    const report = toReport(event);
    if (!report) return { result: 'ignored', reason: 'not-a-call-outcome' };
    return recordCallOutcome(deps, report);
  };
}

/** The event as the core reads it; undefined for anything that is not a voice contact event with a contact id. */
function toReport(event: ConnectContactEvent): ContactEventReport | undefined {
  const detail = typeof event?.detail === 'object' && event.detail !== null ? event.detail : undefined;
  if (event?.source !== 'aws.connect' || !detail) return undefined;
  if (typeof detail.contactId !== 'string' || !CONTACT_ID.test(detail.contactId) || typeof detail.eventType !== 'string') return undefined;
  if (detail.channel !== undefined && detail.channel !== 'VOICE') return undefined;
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined);
  const connectedAt = text(detail.connectedToSystemTimestamp);
  const disconnectedAt = text(detail.disconnectTimestamp);
  const disconnectReason = text(detail.disconnectReason);
  const answeringMachineStatus = text(detail.answeringMachineDetectionStatus);
  return {
    eventType: detail.eventType,
    contactId: detail.contactId,
    ...(connectedAt ? { connectedAt } : {}),
    ...(disconnectedAt ? { disconnectedAt } : {}),
    ...(disconnectReason ? { disconnectReason } : {}),
    ...(answeringMachineStatus ? { answeringMachineStatus } : {}),
  };
}
