import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { WaferwatchError } from '../../functions/core/errors';
import { validateWaferImage } from '../../functions/core/validate-wafer-image';
import { httpStatusOf } from '../../functions/adapters/http/error-status';
import { createInspectImageHandler } from '../../functions/adapters/http/inspect-image-route';
import { apiEvent, lambdaContext, multipartBody } from '../fixtures/api-events';
import { alertingFakes, InMemoryInspectionStore, MemoryLogger, ScriptedDetector, verdict } from '../fixtures/fakes';
import { pngClaiming, syntheticWafer } from '../fixtures/wafer-images';
import { SharpImageDecoder } from '../../functions/adapters/image-decoding/sharp-image-decoder';

const limits = { maxBytes: 256 * 1024, minSide: 64, maxSide: 4096 };
const decoder = new SharpImageDecoder();

/** Byte strings derived from a valid image: flipped bytes, cuts, splices and repeats. */
function mutatedImage(original: Buffer) {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat({ max: original.length }), { nil: undefined }),
      fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
    )
    .map(([flips, cut, tail]) => {
      const copy = Buffer.from(original);
      for (const [index, mask] of flips) copy[index] = copy[index]! ^ mask;
      const cutCopy = cut === undefined ? copy : copy.subarray(0, cut);
      return tail ? Buffer.concat([cutCopy, Buffer.from(tail)]) : cutCopy;
    });
}

describe('upload handler under hostile input', () => {
  let jpeg: Buffer;
  let png: Buffer;
  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 96, 96);
    png = await syntheticWafer('png', 80, 80);
  });

  function harness() {
    const store = new InMemoryInspectionStore();
    const { alerts, imageClaims } = alertingFakes();
    const logger = new MemoryLogger();
    const handler = createInspectImageHandler(() => ({
      allowedOrigins: ['https://inspect.fab.example'],
      logger,
      // Every accepted wafer is anomalous, so an accepted body always queues an alert and a rejected one never may.
      detector: async () => new ScriptedDetector(() => verdict(true, 0.9)),
      inspection: { store, alerts, imageClaims, logger, alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 }, decoder, limits },
    }));
    return { store, alerts, imageClaims, handler };
  }

  it('never throws and never answers 5xx for arbitrary or mutated bodies under any headers; a rejected body stores, claims and alerts nothing', async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
      mutatedImage(jpeg),
      mutatedImage(png),
    );
    const contentType = fc.oneof(
      fc.constantFrom(
        'image/jpeg',
        'image/png',
        'application/octet-stream',
        'application/json',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
        'text/plain',
        '',
      ),
      fc.string({ maxLength: 40 }),
    );
    const headers = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 4 });
    const query = fc.option(fc.dictionary(fc.constantFrom('station', 'limit', 'x'), fc.string({ maxLength: 80 })), { nil: null });
    await fc.assert(
      fc.asyncProperty(body, contentType, headers, query, fc.boolean(), async (bytes, type, extraHeaders, queryStringParameters, base64) => {
        const { store, alerts, imageClaims, handler } = harness();
        const event = apiEvent({
          headers: { ...extraHeaders, 'content-type': type },
          queryStringParameters,
          body: base64 ? bytes.toString('base64') : bytes.toString('latin1'),
          isBase64Encoded: base64,
        });
        const response = await handler(event, lambdaContext);
        expect(response.statusCode).toBeLessThan(500);
        const parsed = JSON.parse(response.body);
        if (response.statusCode >= 400) {
          expect(parsed.error.code).toMatch(/^[A-Z_]+$/);
          expect(store.objects.size + store.records.size).toBe(0);
          expect(alerts.messages).toEqual([]);
          // Not even the image claim: a refused body must not make later good bytes look already inspected.
          expect(imageClaims.claims.size).toBe(0);
        } else {
          expect(response.statusCode).toBe(201);
          expect(store.records.size).toBe(1);
          expect(alerts.messages.map((message) => message.inspectionId)).toEqual([parsed.inspectionId]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for arbitrary JSON bodies', async () => {
    const json = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc
        .record({
          image: fc.oneof(fc.string(), fc.base64String({ maxLength: 400 }), fc.constant(`data:image/png;base64,${'A'.repeat(10)}`)),
          station: fc.option(fc.string(), { nil: undefined }),
        })
        .map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(json, async (text) => {
        const { store, alerts, handler } = harness();
        const response = await handler(apiEvent({ headers: { 'Content-Type': 'application/json' }, body: text }), lambdaContext);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(store.objects.size).toBe(0);
        expect(alerts.messages).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for hostile multipart bodies', async () => {
    const part = fc.record({
      name: fc.oneof(fc.constantFrom('image', 'station', 'other'), fc.string({ maxLength: 10 })),
      value: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 80 })),
      filename: fc.option(fc.constantFrom('a.jpg', '../../etc/passwd', 'x"y'), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 4 }), fc.nat({ max: 40 }), async (parts, cutFromEnd) => {
        const { store, alerts, handler } = harness();
        const { body, contentType } = multipartBody(parts.map((p) => ({ ...p, value: typeof p.value === 'string' ? p.value : Buffer.from(p.value) })));
        const cut = body.subarray(0, Math.max(0, body.length - cutFromEnd));
        const response = await handler(
          apiEvent({ headers: { 'content-type': contentType }, body: cut.toString('base64'), isBase64Encoded: true }),
          lambdaContext,
        );
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(store.objects.size).toBe(0);
        expect(alerts.messages).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects images claiming huge dimensions with bounded memory', async () => {
    const before = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 4097, max: 0x7fffffff }), fc.integer({ min: 1, max: 0x7fffffff }), async (width, height) => {
        const error = await validateWaferImage(pngClaiming(width, height), limits, decoder).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WaferwatchError);
        expect((error as WaferwatchError).code).toBe('IMAGE_DIMENSIONS_OUT_OF_RANGE');
      }),
      { numRuns: 200 },
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('the validator only ever throws refusals, which the API answers with 4xx statuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutatedImage(jpeg),
          mutatedImage(png),
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
        ),
        async (bytes) => {
          const outcome = await validateWaferImage(bytes, limits, decoder).then(
            () => 'accepted',
            (error: unknown) => error,
          );
          if (outcome !== 'accepted') {
            expect(outcome).toBeInstanceOf(WaferwatchError);
            expect((outcome as WaferwatchError).kind).toBe('refused');
            expect(httpStatusOf(outcome as WaferwatchError)).toBeGreaterThanOrEqual(400);
            expect(httpStatusOf(outcome as WaferwatchError)).toBeLessThan(500);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
