import { ConnectClient, DestinationNotAllowedException, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConnectOperatorCaller } from '../../../functions/adapters/connect-operator-caller';
import type { Detector } from '../../../functions/core/detection';
import type { OperatorCaller } from '../../../functions/core/ports';
import { createInspectImageHandler } from '../../../functions/routes/inspect-image-route';
import { lambdaContext, rawUploadEvent } from '../../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger, RecordingCaller, ScriptedDetector, verdict } from '../../fixtures/fakes';
import { syntheticWafer } from '../../fixtures/wafer-images';

const OPERATOR = '+447700900123';
const SECRET = 'sk-live-7f3a9c';
/** What must never reach a client: stack frames, file paths, the secret, the operator's number. */
const LEAKS = [/\n\s+at /, /\/var\/task|\/work\/|node_modules|file:\/\//, new RegExp(SECRET), /447700900123/];

/** Something a dependency might throw: errors carrying secrets, paths and numbers, or not errors at all. */
const thrown = fc.oneof(
  fc.string({ maxLength: 30 }).map((text) => {
    const error = new Error(`connection to db failed ${text} token=${SECRET} calling ${OPERATOR}`);
    error.stack = `Error: ${error.message}\n    at handler (/var/task/functions/inspect-image.mjs:1:2)\n    at node_modules/x.js:3:4`;
    return error as unknown;
  }),
  fc.constantFrom<unknown>(`raw string ${SECRET}`, { secret: SECRET, phone: OPERATOR }, null, 42, Object.assign(new TypeError(`x is undefined ${SECRET}`), { $fault: 'server' })),
);

describe('no stack traces, secrets or phone numbers in responses', () => {
  let image: Buffer;
  beforeAll(async () => {
    image = await syntheticWafer('jpeg', 96, 96);
  });

  function handlerWith(options: { store?: InMemoryInspectionStore; detector?: Detector; caller?: OperatorCaller }) {
    const logger = new MemoryLogger();
    return createInspectImageHandler(() => ({
      allowedOrigins: ['https://inspect.fab.example'],
      logger,
      detector: async () => options.detector ?? new ScriptedDetector(() => verdict(true, 0.9)),
      inspection: {
        store: options.store ?? new InMemoryInspectionStore(),
        caller: options.caller ?? new RecordingCaller(),
        logger,
        alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
        limits: { maxBytes: 256 * 1024, minSide: 64, maxSide: 4096 },
      },
    }));
  }

  it('answers whatever a store, detector or caller throws with a JSON body free of stack, paths, secrets and numbers', async () => {
    await fc.assert(
      fc.asyncProperty(thrown, fc.constantFrom('store', 'detector', 'caller'), async (failure, where) => {
        // Prepare
        const store = new InMemoryInspectionStore();
        if (where === 'store') store.putRecord = () => Promise.reject(failure);
        const detector: Detector | undefined = where === 'detector' ? { detect: () => Promise.reject(failure) } : undefined;
        // The caller is the real Connect adapter whose SDK call fails: the adapter is what stands between Connect's
        // messages (which can echo numbers) and the inspection record the client sees.
        let caller: OperatorCaller | undefined;
        if (where === 'caller') {
          const client = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
          mockClient(client).on(StartOutboundVoiceContactCommand).callsFake(() => Promise.reject(failure));
          caller = new ConnectOperatorCaller({ client, instanceId: 'i', contactFlowId: 'f', sourcePhoneNumber: '+448081570000', destinationPhoneNumber: OPERATOR, allowedCountryPrefixes: ['+44'] });
        }

        // Act
        const response = await handlerWith({ store, detector, caller })(rawUploadEvent(image), lambdaContext);

        // Assess
        const body = JSON.parse(response.body) as Record<string, any>;
        for (const leak of LEAKS) expect(response.body, `${where}: ${response.body}`).not.toMatch(leak);
        if (response.statusCode >= 500) {
          expect(body.error.code).toMatch(/^[A-Z_]+$/);
          expect(Object.keys(body.error).sort()).toEqual(expect.arrayContaining(['code', 'message']));
        }
      }),
      { numRuns: 120 },
    );
  });

  it('keeps the operator number out of the answer when Connect refuses it with a message that names it', async () => {
    // Prepare
    const client = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(client)
      .on(StartOutboundVoiceContactCommand)
      .rejects(new DestinationNotAllowedException({ $metadata: { httpStatusCode: 403 }, message: `Outbound calls to ${OPERATOR} are not allowed` }));
    const caller = new ConnectOperatorCaller({ client, instanceId: 'i', contactFlowId: 'f', sourcePhoneNumber: '+448081570000', destinationPhoneNumber: OPERATOR, allowedCountryPrefixes: ['+44'] });

    // Act
    const response = await handlerWith({ caller })(rawUploadEvent(image), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body) as { alert: { status: string } };
    expect(body.alert.status).not.toBe('placed');
    expect(response.body).not.toMatch(/447700900123/);
  });
});
