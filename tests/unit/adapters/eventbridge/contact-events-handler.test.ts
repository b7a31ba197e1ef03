import { describe, expect, it } from 'vitest';
import type { ContactEventReport } from '../../../../functions/core/record-call-outcome';
import { createContactEventsHandler, type ConnectContactEvent } from '../../../../functions/adapters/eventbridge/contact-events-handler';
import { InMemoryInspectionStore, MemoryLogger, RecordingAlertPublisher } from '../../../fixtures/fakes';

/** A DISCONNECTED contact event as EventBridge delivers it from Amazon Connect. */
function disconnected(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}): ConnectContactEvent {
  return {
    version: '0',
    id: 'b7f0c2a8-0000-4000-8000-000000000001',
    'detail-type': 'Amazon Connect Contact Event',
    source: 'aws.connect',
    account: '123456789012',
    time: '2026-11-26T12:00:05Z',
    region: 'eu-west-1',
    resources: ['arn:aws:connect:eu-west-1:123456789012:instance/i-1', 'arn:aws:connect:eu-west-1:123456789012:instance/i-1/contact/c-1'],
    detail: {
      eventType: 'DISCONNECTED',
      contactId: 'c-1',
      channel: 'VOICE',
      instanceArn: 'arn:aws:connect:eu-west-1:123456789012:instance/i-1',
      initiationMethod: 'API',
      initiationTimestamp: '2026-11-26T12:00:00.000Z',
      connectedToSystemTimestamp: '2026-11-26T12:00:02.000Z',
      disconnectTimestamp: '2026-11-26T12:00:05.000Z',
      disconnectReason: 'CUSTOMER_DISCONNECT',
      ...detail,
    },
    ...envelope,
  };
}

function handlerSeeing(seen: ContactEventReport[]) {
  return createContactEventsHandler(() => ({
    store: new InMemoryInspectionStore(),
    queue: new RecordingAlertPublisher(),
    logger: new MemoryLogger(),
    ladders: {
      findContact: async (contactId) => {
        seen.push({ eventType: 'lookup', contactId });
        return undefined;
      },
      recordCallEnded: async () => ({ firstReport: false }),
    },
  }));
}

describe('contact-events handler', () => {
  it('reads the contact id of a voice contact event and looks its call up', async () => {
    const seen: ContactEventReport[] = [];
    const result = await handlerSeeing(seen)(disconnected());
    expect(result).toEqual({ result: 'ignored', reason: 'not-our-call' });
    expect(seen).toEqual([{ eventType: 'lookup', contactId: 'c-1' }]);
  });

  it.each([
    ['another source', disconnected({}, { source: 'aws.ec2' })],
    ['a chat contact', disconnected({ channel: 'CHAT' })],
    ['no contact id', disconnected({ contactId: undefined })],
    ['a contact id that is not one', disconnected({ contactId: '../../etc/passwd' })],
    ['no detail', { ...disconnected(), detail: null } as unknown as ConnectContactEvent],
  ])('ignores %s without reading anything', async (_label, event) => {
    const seen: ContactEventReport[] = [];
    const result = await handlerSeeing(seen)(event);
    expect(result).toEqual({ result: 'ignored', reason: 'not-a-call-outcome' });
    expect(seen).toEqual([]);
  });
});
