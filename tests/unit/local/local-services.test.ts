import { describe, expect, it } from 'vitest';
import type { EmulatedCall } from '../../../local/emulators/connect-emulator';
import { callView, maskPhoneNumber } from '../../../local/local-services';

describe('maskPhoneNumber', () => {
  it('keeps the country code and the last four digits only', () => {
    // Act + Assess
    expect(maskPhoneNumber('+15555550100')).toBe('+1******0100');
    expect(maskPhoneNumber('+447700900100')).toBe('+44******0100');
    expect(maskPhoneNumber('+4915112345678')).toBe('+49*******5678');
    expect(maskPhoneNumber('0100')).toBe('0100');
  });
});

describe('callView', () => {
  it('shows a placed call with its destination masked and no decision yet', () => {
    // Prepare
    const call: EmulatedCall = {
      contactId: 'c-1',
      clientToken: 'waferwatch-inspection-01ARZ3NDEKTSV4RRFFQ69G5FAV',
      instanceId: 'i',
      contactFlowId: 'f',
      sourcePhoneNumber: '+15555550199',
      destinationPhoneNumber: '+15555550100',
      attributes: { inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', stationId: 'litho-2', confidencePercent: '91' },
      startedAt: '2026-11-26T12:00:00.000Z',
      status: 'initiated',
      updatedAt: '2026-11-26T12:00:00.000Z',
    };

    // Act
    const view = callView(call);

    // Assess
    expect(view).toEqual({
      contactId: 'c-1',
      destination: '+1******0100',
      attributes: call.attributes,
      clientToken: call.clientToken,
      createdAt: call.startedAt,
      updatedAt: call.updatedAt,
      status: 'initiated',
      decision: null,
    });
    expect(JSON.stringify(view)).not.toContain('5555550100');
  });

  it("shows how an ended call went: when it was answered and ended, and Connect's disconnect reason", () => {
    // Prepare
    const call: EmulatedCall = {
      contactId: 'c-2',
      clientToken: 't',
      instanceId: 'i',
      contactFlowId: 'f',
      destinationPhoneNumber: '+15555550101',
      attributes: { contactName: 'Shift lead', escalationLevel: '2' },
      startedAt: '2026-11-26T12:00:00.000Z',
      status: 'completed',
      updatedAt: '2026-11-26T12:00:40.000Z',
      answeredAt: '2026-11-26T12:00:05.000Z',
      endedAt: '2026-11-26T12:00:40.000Z',
      disconnectReason: 'CUSTOMER_DISCONNECT',
    };

    // Act
    const view = callView(call);

    // Assess
    expect(view).toMatchObject({
      status: 'completed',
      answeredAt: call.answeredAt,
      endedAt: call.endedAt,
      disconnectReason: 'CUSTOMER_DISCONNECT',
      destination: '+1******0101',
    });
  });
});
