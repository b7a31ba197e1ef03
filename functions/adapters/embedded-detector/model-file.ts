import { createHash } from 'node:crypto';
import type { FeatureSettings } from './patch-features';
import { descriptorLength, statisticsDefinedFor } from './patch-features';

/** First bytes of every waferwatch model file. */
export const MODEL_MAGIC = 'WWMODEL\0';
/**
 * The newest format this code reads and writes; bump on any incompatible change. Version 2 added photometric
 * normalisation (`settings.lightnessReference`) and the unscored border (`settings.borderPatches`); a model without them is still written, and read, as version 1,
 * so a detector that only knows version 1 refuses a model it would score wrongly.
 */
export const MODEL_FORMAT_VERSION = 2;
/** The oldest format this code still reads. */
export const OLDEST_MODEL_FORMAT_VERSION = 1;

/** The format version a model needs: the lowest one that has every setting it uses. */
export function formatVersionFor(settings: FeatureSettings): number {
  return settings.lightnessReference !== undefined || settings.borderPatches !== undefined ? 2 : 1;
}

/** Where a model came from, so a deployed verdict can be traced to its training images. */
export interface ModelProvenance {
  createdAt: string;
  imageCount: number;
  images: { name: string; sha256: string }[];
  /** Rotations (degrees) of the training images whose patches fed the bank. */
  bankRotations: number[];
  /** Rotations (degrees) of the held-out training images the threshold was calibrated on. */
  calibrationRotations: number[];
  /** Held-out normal image scores the threshold was chosen from. */
  heldOutScores: number[];
  /** Perturbed copies (camera drift: brightness, blur, JPEG, scale) added to the bank and to the calibration, by label. */
  bankPerturbations?: string[];
  calibrationPerturbations?: string[];
  trainer: string;
}

/** Everything the embedded detector needs at inference. */
export interface WaferModel {
  settings: FeatureSettings;
  /** Per descriptor value: subtracted, then divided by `featureScale`, before any distance. */
  featureMean: number[];
  featureScale: number[];
  /** Standardised bank descriptors, `descriptorLength(settings)` values per entry. */
  bank: Float32Array;
  /** Radius (in patches) of the box smoothing applied to the patch score map. */
  smoothingRadius: number;
  /** Image scores above this are anomalous. */
  threshold: number;
  /**
   * In an anomalous image, smoothed patch scores above this are painted in the mask: the highest
   * held-out normal score, i.e. worse than any normal patch seen. Lower than `threshold`, so the mask
   * shows the whole defect, not only its worst patches.
   */
  maskThreshold: number;
  /** Width of the logistic that turns the distance to the threshold into a confidence. */
  confidenceScale: number;
  provenance: ModelProvenance;
}

/** A model file that cannot be used, with the reason in the message. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

interface Header {
  settings: FeatureSettings;
  featureMean: number[];
  featureScale: number[];
  bankEntries: number;
  bankEncoding: 'float32le';
  smoothingRadius: number;
  threshold: number;
  maskThreshold: number;
  confidenceScale: number;
  provenance: ModelProvenance;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const PREFIX_BYTES = 16;
const DIGEST_BYTES = 32;

/**
 * Serialise a model: magic, format version, a JSON header (settings, threshold, provenance),
 * the float32 bank, and a sha256 of everything before it so corruption is caught at load.
 */
export function encodeModelFile(model: WaferModel): Uint8Array {
  const dims = descriptorLength(model.settings);
  if (model.bank.length === 0 || model.bank.length % dims !== 0) throw new ModelFileError('The bank does not match the descriptor length');
  const header: Header = {
    settings: model.settings,
    featureMean: model.featureMean,
    featureScale: model.featureScale,
    bankEntries: model.bank.length / dims,
    bankEncoding: 'float32le',
    smoothingRadius: model.smoothingRadius,
    threshold: model.threshold,
    maskThreshold: model.maskThreshold,
    confidenceScale: model.confidenceScale,
    provenance: model.provenance,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const bankOffset = align4(PREFIX_BYTES + json.length);
  const total = bankOffset + model.bank.length * 4 + DIGEST_BYTES;
  const out = Buffer.alloc(total);
  out.write(MODEL_MAGIC, 0, 'latin1');
  out.writeUInt16LE(formatVersionFor(model.settings), 8);
  out.writeUInt16LE(0, 10);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, PREFIX_BYTES);
  for (let i = 0; i < model.bank.length; i++) out.writeFloatLE(model.bank[i]!, bankOffset + i * 4);
  createHash('sha256')
    .update(out.subarray(0, total - DIGEST_BYTES))
    .digest()
    .copy(out, total - DIGEST_BYTES);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Parse and check a model file; throws ModelFileError saying what is wrong (not a model, wrong version, truncated, corrupt). */
export function decodeModelFile(bytes: Uint8Array): WaferModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX_BYTES || buf.toString('latin1', 0, 8) !== MODEL_MAGIC) {
    throw new ModelFileError('Not a waferwatch model file (bad magic bytes)');
  }
  const version = buf.readUInt16LE(8);
  if (version < OLDEST_MODEL_FORMAT_VERSION || version > MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `Unsupported model format version ${version}; this detector reads version ${MODEL_FORMAT_VERSION} (and ${OLDEST_MODEL_FORMAT_VERSION}). Retrain the model with npm run train`,
    );
  }
  const jsonLength = buf.readUInt32LE(12);
  if (PREFIX_BYTES + jsonLength + DIGEST_BYTES > buf.length) throw new ModelFileError('The model file is truncated (header cut short)');
  const digest = createHash('sha256')
    .update(buf.subarray(0, buf.length - DIGEST_BYTES))
    .digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) {
    throw new ModelFileError('The model file is corrupt or truncated (checksum mismatch)');
  }
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + jsonLength)) as Header;
  } catch {
    throw new ModelFileError('The model file header is not valid JSON');
  }
  const settings = header.settings as Partial<FeatureSettings> | undefined;
  const positive = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (
    !settings ||
    !positive(settings.workingSide) ||
    !positive(settings.cellSize) ||
    !Array.isArray(settings.scales) ||
    settings.scales.length === 0 ||
    !settings.scales.every(positive) ||
    typeof settings.contrastRadius !== 'number' ||
    !statisticsDefinedFor({ cellSize: settings.cellSize!, contrastRadius: settings.contrastRadius }) ||
    (version < 2 && (settings.lightnessReference !== undefined || settings.borderPatches !== undefined)) ||
    (settings.borderPatches !== undefined && !(Number.isInteger(settings.borderPatches) && settings.borderPatches >= 0)) ||
    (settings.lightnessReference !== undefined && !(typeof settings.lightnessReference === 'number' && settings.lightnessReference > 0))
  ) {
    throw new ModelFileError('The model file header has no valid descriptor settings');
  }
  if (!Array.isArray(header.featureMean) || !Array.isArray(header.featureScale) || !Number.isInteger(header.bankEntries) || header.bankEntries <= 0) {
    throw new ModelFileError('The model file header has no valid feature scaling or bank size');
  }
  const dims = descriptorLength(header.settings);
  const bankOffset = align4(PREFIX_BYTES + jsonLength);
  const bankBytes = header.bankEntries * dims * 4;
  if (header.bankEncoding !== 'float32le' || bankOffset + bankBytes + DIGEST_BYTES !== buf.length) {
    throw new ModelFileError('The model file bank does not match its header');
  }
  if (typeof header.threshold !== 'number' || typeof header.maskThreshold !== 'number' || typeof header.confidenceScale !== 'number') {
    throw new ModelFileError('The model file header lacks its thresholds');
  }
  if (header.featureMean.length !== dims || header.featureScale.length !== dims) {
    throw new ModelFileError('The model file feature scaling does not match its descriptor settings');
  }
  // One copy of the bank's bytes where the machine is little-endian (every host Lambda and Node run on); a value at a
  // time otherwise. A model load runs before the JIT has compiled this code, so the loop would cost milliseconds.
  const bank = new Float32Array(header.bankEntries * dims);
  if (LITTLE_ENDIAN) new Uint8Array(bank.buffer).set(buf.subarray(bankOffset, bankOffset + bankBytes));
  else for (let i = 0; i < bank.length; i++) bank[i] = buf.readFloatLE(bankOffset + i * 4);
  return {
    settings: header.settings,
    featureMean: header.featureMean,
    featureScale: header.featureScale,
    bank,
    smoothingRadius: header.smoothingRadius,
    threshold: header.threshold,
    maskThreshold: header.maskThreshold,
    confidenceScale: header.confidenceScale,
    provenance: header.provenance,
  };
}

/** Short, stable identifier of a model file's exact bytes. */
export function modelVersionOf(bytes: Uint8Array): string {
  const version = bytes.length >= 10 ? bytes[8]! | (bytes[9]! << 8) : MODEL_FORMAT_VERSION;
  return `wwm${version}-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
