import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import {
  decodeModelFile,
  encodeModelFile,
  MODEL_FORMAT_VERSION,
  ModelFileError,
  type WaferModel,
} from '../../../../functions/adapters/embedded-detector/model-file';
import { DEFAULT_FEATURE_SETTINGS } from '../../../../functions/adapters/embedded-detector/patch-features';
import { DEFAULT_MODEL, randomRows } from './helpers';

function smallModel(): WaferModel {
  return {
    settings: DEFAULT_FEATURE_SETTINGS,
    featureMean: Array.from({ length: 22 }, (_, d) => d * 1.5),
    featureScale: Array.from({ length: 22 }, (_, d) => 1 + d / 10),
    bank: randomRows(30, 22, 5),
    smoothingRadius: 1,
    threshold: 2.5,
    maskThreshold: 2.1,
    confidenceScale: 0.2,
    provenance: {
      createdAt: '2026-11-26T00:00:00.000Z',
      imageCount: 2,
      images: [
        { name: 'a.jpg', sha256: 'a'.repeat(64) },
        { name: 'b.jpg', sha256: 'b'.repeat(64) },
      ],
      bankRotations: [0, 30, 60],
      calibrationRotations: [15, 45, 75],
      heldOutScores: [1.9, 2.0],
      trainer: 'test',
    },
  };
}

function loadError(bytes: Uint8Array): ModelFileError {
  try {
    decodeModelFile(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return error as ModelFileError;
  }
  throw new Error('decodeModelFile accepted a bad file');
}

describe('model file', () => {
  it('round-trips every field, the bank bit for bit', () => {
    // Prepare
    const model = smallModel();

    // Act
    const decoded = decodeModelFile(encodeModelFile(model));

    // Assess
    expect(decoded).toEqual(model);
    expect(Buffer.from(decoded.bank.buffer).equals(Buffer.from(model.bank.buffer))).toBe(true);
  });

  it('starts with the magic and the format version', () => {
    // Prepare
    const bytes = encodeModelFile(smallModel());

    // Act
    const header = Buffer.from(bytes.subarray(0, 10));

    // Assess
    expect(header.toString('latin1', 0, 8)).toBe('WWMODEL\0');
    expect(header.readUInt16LE(8)).toBe(MODEL_FORMAT_VERSION);
  });

  it('says a truncated file is truncated or corrupt', () => {
    // Prepare
    const bytes = encodeModelFile(smallModel());

    // Act
    const cut = loadError(bytes.subarray(0, bytes.length - 100));
    const headerOnly = loadError(bytes.subarray(0, 20));

    // Assess
    expect(cut.message).toMatch(/corrupt or truncated/);
    expect(headerOnly.message).toMatch(/truncated/);
  });

  it('says a file with a flipped bit is corrupt', () => {
    // Prepare
    const bytes = Uint8Array.from(encodeModelFile(smallModel()));
    bytes[bytes.length - 200]! ^= 0x10;

    // Act
    const error = loadError(bytes);

    // Assess
    expect(error.message).toMatch(/corrupt/);
  });

  it('names both versions when the format version differs', () => {
    // Prepare
    const bytes = Uint8Array.from(encodeModelFile(smallModel()));
    Buffer.from(bytes.buffer).writeUInt16LE(MODEL_FORMAT_VERSION + 1, 8);

    // Act
    const error = loadError(bytes);

    // Assess
    expect(error.message).toContain(`version ${MODEL_FORMAT_VERSION + 1}`);
    expect(error.message).toContain(`reads version ${MODEL_FORMAT_VERSION}`);
  });

  it('says which part of a well-formed file is unusable when the header lacks its descriptor settings', () => {
    // Prepare: a file whose checksum is right but whose header was written without settings.
    const model = smallModel();
    const bytes = encodeModelFile(model);
    const jsonLength = Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(12);
    const header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + jsonLength)).toString('utf8')) as Record<string, unknown>;
    delete header.settings;
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(16);
    Buffer.from(bytes.subarray(0, 16)).copy(prefix);
    prefix.writeUInt32LE(json.length, 12);
    const body = Buffer.concat([prefix, json]);
    const padded = Buffer.concat([body, Buffer.alloc(((body.length + 3) & ~3) - body.length), Buffer.from(model.bank.buffer)]);
    const file = Buffer.concat([padded, createHash('sha256').update(padded).digest()]);

    // Act
    const error = loadError(file);

    // Assess
    expect(error.message).toMatch(/descriptor settings/);
  });

  it('refuses descriptor settings the pixel statistics are not defined for, and takes the largest cells they are', () => {
    // Prepare: models that differ from a good one in one setting each.
    const withSettings = (change: Partial<WaferModel['settings']>) =>
      encodeModelFile({ ...smallModel(), settings: { ...DEFAULT_FEATURE_SETTINGS, ...change } });

    // Act & assess: a contrast box of a fraction of a pixel, of a negative size or wider than 511 pixels, cells wider
    // than 128 pixels.
    for (const change of [{ contrastRadius: 1.5 }, { contrastRadius: -1 }, { contrastRadius: 256 }, { cellSize: 129 }]) {
      expect(loadError(withSettings(change)).message).toMatch(/descriptor settings/);
    }
    expect(decodeModelFile(withSettings({ cellSize: 128, contrastRadius: 0 })).settings).toMatchObject({ cellSize: 128, contrastRadius: 0 });
  });

  it('refuses bytes that are not a model at all, through the detector factory too', () => {
    // Prepare
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

    // Act
    const load = () => loadEmbeddedDetector(png);

    // Assess
    expect(load).toThrow(ModelFileError);
    expect(load).toThrow(/Not a waferwatch model file/);
  });

  it('writes and still reads format version 1 for a model without photometric normalisation or unscored border', () => {
    // Prepare
    const { lightnessReference: _l, borderPatches: _b, ...v1Settings } = DEFAULT_FEATURE_SETTINGS;
    const model = { ...smallModel(), settings: v1Settings };

    // Act
    const bytes = encodeModelFile(model);

    // Assess
    expect(Buffer.from(bytes).readUInt16LE(8)).toBe(1);
    expect(decodeModelFile(bytes)).toEqual(model);
    expect(loadEmbeddedDetector(bytes).modelVersion).toMatch(/^wwm1-[0-9a-f]{12}$/);
    expect(Buffer.from(encodeModelFile(smallModel())).readUInt16LE(8)).toBe(MODEL_FORMAT_VERSION);
  });

  it('refuses a version 1 file that uses version 2 settings', () => {
    // Prepare
    const bytes = Buffer.from(encodeModelFile(smallModel()));
    bytes.writeUInt16LE(1, 8);
    const digest = createHash('sha256')
      .update(bytes.subarray(0, bytes.length - 32))
      .digest();
    digest.copy(bytes, bytes.length - 32);

    // Act
    const error = loadError(bytes);

    // Assess
    expect(error.message).toMatch(/descriptor settings/);
  });

  it('ships a default model within the size budget, with its provenance', () => {
    // Prepare
    const bytes = readFileSync(DEFAULT_MODEL);

    // Act
    const detector = loadEmbeddedDetector(bytes);

    // Assess
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    expect(detector.model.provenance.imageCount).toBe(15);
    expect(detector.model.provenance.images.every((i) => /^[0-9a-f]{64}$/.test(i.sha256))).toBe(true);
    expect(detector.modelVersion).toMatch(/^wwm2-[0-9a-f]{12}$/);
  });
});
