import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { WaferwatchError } from '../../../functions/core/errors';
import { readImageStructure } from '../../../functions/core/image-structure';
import { validateWaferImage } from '../../../functions/core/validate-wafer-image';
import { jpegWithDimensions, pngChunk, pngClaiming, syntheticWafer } from '../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../functions/adapters/image-decoding/sharp-image-decoder';

const limits = { maxBytes: 4 * 1024 * 1024, minSide: 64, maxSide: 4096 };
const decoder = new SharpImageDecoder();

async function rejection(bytes: Uint8Array, customLimits = limits): Promise<WaferwatchError> {
  const error = await validateWaferImage(bytes, customLimits, decoder).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof WaferwatchError)) throw new Error(`expected a WaferwatchError, got ${String(error)}`);
  return error;
}

describe('validateWaferImage', () => {
  let png: Buffer;
  let jpeg: Buffer;
  beforeAll(async () => {
    png = await syntheticWafer('png', 128, 96);
    jpeg = await syntheticWafer('jpeg', 200, 150);
  });

  it('accepts a PNG and reports format, dimensions, size and sha256 from the bytes', async () => {
    // Act
    const image = await validateWaferImage(png, limits, decoder);
    // Assess
    expect(image).toMatchObject({ format: 'png', contentType: 'image/png', width: 128, height: 96, sizeBytes: png.length });
    expect(image.sha256).toBe(createHash('sha256').update(png).digest('hex'));
  });

  it('accepts a JPEG, baseline or progressive, grey or colour', async () => {
    const progressive = await sharp(jpeg).jpeg({ progressive: true }).toBuffer();
    const grey = await syntheticWafer('jpeg', 64, 64, 1);
    for (const bytes of [jpeg, progressive, grey]) {
      const image = await validateWaferImage(bytes, limits, decoder);
      expect(image.format).toBe('jpeg');
      expect(image.contentType).toBe('image/jpeg');
    }
    expect((await validateWaferImage(jpeg, limits, decoder)).width).toBe(200);
    expect((await validateWaferImage(jpeg, limits, decoder)).height).toBe(150);
  });

  it('refuses images over the size limit before reading them', async () => {
    const error = await rejection(png, { ...limits, maxBytes: png.length - 1 });
    expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', kind: 'refused' });
  });

  it.each([
    ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
    ['WebP', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')],
    ['text', Buffer.from('hello, this is not an image')],
    ['PDF', Buffer.from('%PDF-1.7\n')],
  ])('refuses %s as an unsupported image type whatever it is called', async (_name, bytes) => {
    expect(await rejection(bytes)).toMatchObject({ code: 'UNSUPPORTED_IMAGE_TYPE', kind: 'refused' });
  });

  it('rejects an empty body as a malformed request', async () => {
    expect(await rejection(Buffer.alloc(0))).toMatchObject({ code: 'MALFORMED_REQUEST', kind: 'refused' });
  });

  it('refuses truncated PNG and JPEG files as corrupt', async () => {
    for (const bytes of [png.subarray(0, png.length - 20), png.subarray(0, 40), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), jpeg.subarray(0, 4)]) {
      expect(await rejection(bytes)).toMatchObject({ code: 'CORRUPT_IMAGE', kind: 'refused' });
    }
  });

  it('rejects a PNG with a bad chunk checksum', async () => {
    const corrupted = Buffer.from(png);
    corrupted[40] = corrupted[40]! ^ 0xff; // inside the first IDAT's data
    const error = await rejection(corrupted);
    expect(error.code).toBe('CORRUPT_IMAGE');
    expect(error.message).toMatch(/checksum/);
  });

  it('rejects a JPEG whose scan data was cut short even when it still ends with an end-of-image marker', async () => {
    const scanStart = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([jpeg.subarray(0, scanStart + Math.floor((jpeg.length - scanStart) / 2)), Buffer.from([0xff, 0xd9])]);
    expect(readImageStructure(cut)).toMatchObject({ format: 'jpeg' });
    expect(await rejection(cut)).toMatchObject({ code: 'CORRUPT_IMAGE', kind: 'refused' });
  });

  it('rejects a PNG with valid checksums but undecodable pixel data', async () => {
    const garbage = pngClaiming(100, 100, Buffer.from('definitely not a zlib stream'));
    expect(await rejection(garbage)).toMatchObject({ code: 'CORRUPT_IMAGE' });
  });

  it.each([
    [16, 16],
    [63, 200],
    [200, 63],
    [4097, 100],
  ])('rejects %ix%i as out of range', async (width, height) => {
    const bytes = width > 2000 ? pngClaiming(width, height) : await syntheticWafer('png', width, height);
    expect(await rejection(bytes)).toMatchObject({ code: 'IMAGE_DIMENSIONS_OUT_OF_RANGE', kind: 'refused' });
  });

  it('rejects headers claiming huge dimensions before decoding (no pixel memory allocated)', async () => {
    // Prepare: a 120-byte PNG and a small JPEG that claim gigapixel sizes.
    const hugePng = pngClaiming(1_000_000, 1_000_000, deflateSync(Buffer.alloc(64)));
    const hugeJpeg = jpegWithDimensions(jpeg, 65_000, 65_000);
    const before = process.memoryUsage().rss;
    // Act
    const errors = await Promise.all([rejection(hugePng), rejection(hugeJpeg)]);
    // Assess
    expect(errors.map((error) => error.code)).toEqual(['IMAGE_DIMENSIONS_OUT_OF_RANGE', 'IMAGE_DIMENSIONS_OUT_OF_RANGE']);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('reads PNG structure: IHDR first, one IHDR, image data before IEND', () => {
    const signature = png.subarray(0, 8);
    const header = Buffer.alloc(13);
    header.writeUInt32BE(100, 0);
    header.writeUInt32BE(100, 4);
    header[8] = 8;
    header[9] = 2;
    const idat = pngChunk('IDAT', deflateSync(Buffer.alloc(10)));
    const iend = pngChunk('IEND', Buffer.alloc(0));
    expect(() => readImageStructure(Buffer.concat([signature, idat, iend]))).toThrow(/IHDR/);
    expect(() => readImageStructure(Buffer.concat([signature, pngChunk('IHDR', header), iend]))).toThrow(/no image data/);
    expect(() => readImageStructure(Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IHDR', header), idat, iend]))).toThrow(/more than one/);
    header[8] = 3; // bit depth 3 is not valid for truecolour
    expect(() => readImageStructure(Buffer.concat([signature, pngChunk('IHDR', header), idat, iend]))).toThrow(/bit depth/);
  });

  it('decides the format by the bytes, never by a name or a content type', async () => {
    expect(readImageStructure(png)).toEqual({ format: 'png', width: 128, height: 96 });
    expect(readImageStructure(jpeg)).toEqual({ format: 'jpeg', width: 200, height: 150 });
  });
});
