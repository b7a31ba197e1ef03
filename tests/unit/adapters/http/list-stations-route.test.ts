import { describe, expect, it } from 'vitest';
import { createListStationsHandler } from '../../../../functions/adapters/http/list-stations-route';
import type { Station } from '../../../../functions/core/station-registry';
import { apiEvent, cameraAuthorizer, lambdaContext } from '../../../fixtures/api-events';
import { MemoryLogger } from '../../../fixtures/fakes';

const STATIONS: Station[] = [
  {
    id: 'litho-3',
    name: 'Litho three',
    dailyCallCap: 12,
    escalation: [{ contacts: [{ name: 'Ann', phone: '+15555550111' }] }, { contacts: [{ name: 'Bo', phone: '+15555550112' }] }],
  },
  { id: 'cmp-1', name: 'CMP one', escalation: [{ contacts: [{ name: 'Cy', phone: '+15555550113' }] }] },
];

const get = (stations?: Station[], requestContext?: unknown) =>
  createListStationsHandler(() => ({
    allowedOrigins: [],
    logger: new MemoryLogger(),
    ...(stations ? { stations: { listStations: async () => stations } } : {}),
  }))(
    apiEvent({ httpMethod: 'GET', resource: '/stations', path: '/stations', ...(requestContext ? { requestContext: requestContext as never } : {}) }),
    lambdaContext,
  );

describe('GET /stations', () => {
  it('lists the registry by name, with what a picker needs and no phone number or contact', async () => {
    const response = await get(STATIONS);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      registry: true,
      stations: [
        { stationId: 'cmp-1', name: 'CMP one', escalationLevels: 1 },
        { stationId: 'litho-3', name: 'Litho three', escalationLevels: 2, dailyCallCap: 12 },
      ],
    });
    expect(response.body).not.toMatch(/\+1555|Ann|Bo\b/);
  });

  it('says there is no registry, with the one default station', async () => {
    expect(JSON.parse((await get()).body)).toMatchObject({ registry: false, stations: [{ stationId: 'default' }] });
  });

  it('is for people: a camera key is refused 403', async () => {
    const response = await get(STATIONS, { requestId: 'r', authorizer: cameraAuthorizer('litho-3') });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error.code).toBe('FORBIDDEN');
  });
});
