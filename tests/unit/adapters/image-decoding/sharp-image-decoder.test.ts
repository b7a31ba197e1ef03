import { beforeAll, describe, expect, it } from 'vitest';
import { SharpImageDecoder } from '../../../../functions/adapters/image-decoding/sharp-image-decoder';
import { CorruptImageError } from '../../../../functions/core/errors';
import { checkWaferImage } from '../../../../functions/core/validate-wafer-image';
import { syntheticWafer } from '../../../fixtures/wafer-images';

const limits = { maxBytes: 4 * 1024 * 1024, minSide: 64, maxSide: 4096 };
const decoder = new SharpImageDecoder();
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  jpeg = await syntheticWafer('jpeg', 200, 150);
  png = await syntheticWafer('png', 120, 120);
});

describe('SharpImageDecoder', () => {
  it('decodes whole PNG and JPEG images', async () => {
    // Act + Assess
    await expect(decoder.assertDecodable(checkWaferImage(png, limits), limits.maxSide)).resolves.toBeUndefined();
    await expect(decoder.assertDecodable(checkWaferImage(jpeg, limits), limits.maxSide)).resolves.toBeUndefined();
  });

  it('refuses a JPEG whose scan was cut short, which libjpeg would only warn about and fill in grey', async () => {
    // Prepare: the structure still reads (an end-of-image marker after half the scan), so only the decode can tell.
    const scanStart = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([jpeg.subarray(0, scanStart + Math.floor((jpeg.length - scanStart) / 2)), Buffer.from([0xff, 0xd9])]);
    const image = checkWaferImage(cut, limits);

    // Act
    const decoding = decoder.assertDecodable(image, limits.maxSide);

    // Assess
    await expect(decoding).rejects.toBeInstanceOf(CorruptImageError);
    await expect(decoding).rejects.toMatchObject({ code: 'CORRUPT_IMAGE', kind: 'refused' });
  });

  it('refuses an image with more pixels than maxSide squared allows', async () => {
    // Act + Assess
    await expect(decoder.assertDecodable(checkWaferImage(jpeg, limits), 100)).rejects.toBeInstanceOf(CorruptImageError);
  });
});
