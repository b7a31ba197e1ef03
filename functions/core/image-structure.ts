import { crc32 } from 'node:zlib';
import { CorruptImageError, UnsupportedImageTypeError } from './errors';

/** What the container structure of an image says, read without decoding a pixel. */
export interface ImageStructure {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Valid PNG (colour type → allowed bit depths) pairs from the PNG specification, section 11.2.2. */
const PNG_BIT_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/**
 * Identify PNG or JPEG by signature and walk the container structure (PNG chunks with their CRCs,
 * JPEG markers up to the end-of-image marker) to read the dimensions. Costs no pixel memory, so a
 * header that claims huge dimensions is caught before anything is decoded.
 * Throws UnsupportedImageTypeError for other formats and CorruptImageError for broken structure.
 */
export function readImageStructure(bytes: Uint8Array): ImageStructure {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= 8 && buffer.subarray(0, 8).equals(PNG_SIGNATURE)) return readPngStructure(buffer);
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) return readJpegStructure(buffer);
  throw new UnsupportedImageTypeError();
}

function readPngStructure(buffer: Buffer): ImageStructure {
  let offset = PNG_SIGNATURE.length;
  let width = 0;
  let height = 0;
  let sawImageData = false;
  let chunkIndex = 0;
  while (offset + 12 <= buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > buffer.length) throw new CorruptImageError(`PNG chunk ${safeName(type)} is truncated.`);
    const expectedCrc = buffer.readUInt32BE(offset + 8 + length);
    if (crc32(buffer.subarray(offset + 4, offset + 8 + length)) !== expectedCrc) {
      throw new CorruptImageError(`PNG chunk ${safeName(type)} has a bad checksum.`);
    }
    if (chunkIndex === 0) {
      if (type !== 'IHDR' || length !== 13) throw new CorruptImageError('PNG does not start with a valid IHDR chunk.');
      width = buffer.readUInt32BE(offset + 8);
      height = buffer.readUInt32BE(offset + 12);
      const bitDepth = buffer[offset + 16]!;
      const colourType = buffer[offset + 17]!;
      if (width === 0 || height === 0) throw new CorruptImageError('PNG header declares a zero dimension.');
      if (!PNG_BIT_DEPTHS[colourType]?.includes(bitDepth)) {
        throw new CorruptImageError(`PNG header declares an invalid colour type ${colourType} / bit depth ${bitDepth}.`);
      }
    } else if (type === 'IHDR') {
      throw new CorruptImageError('PNG has more than one IHDR chunk.');
    } else if (type === 'IDAT') {
      sawImageData = true;
    } else if (type === 'IEND') {
      if (!sawImageData) throw new CorruptImageError('PNG has no image data.');
      return { format: 'png', width, height };
    }
    chunkIndex += 1;
    offset = end;
  }
  throw new CorruptImageError('PNG is truncated: no IEND chunk.');
}

function safeName(type: string): string {
  return /^[A-Za-z]{4}$/.test(type) ? type : '(unnamed)';
}

/** Start-of-frame markers that carry the frame dimensions (all SOFn except DHT C4, JPG C8, DAC CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function readJpegStructure(buffer: Buffer): ImageStructure {
  let offset = 2;
  let width = 0;
  let height = 0;
  let sawScan = false;
  while (offset < buffer.length) {
    if (buffer[offset] !== 0xff) throw new CorruptImageError('JPEG marker expected but not found.');
    // Fill bytes (0xFF repeated) may precede a marker.
    while (buffer[offset] === 0xff && offset < buffer.length) offset += 1;
    if (offset >= buffer.length) break;
    const marker = buffer[offset]!;
    offset += 1;
    if (marker === 0xd9) {
      if (!sawScan || width === 0) throw new CorruptImageError('JPEG ends before any image data.');
      return { format: 'jpeg', width, height };
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd8 || marker === 0x00) throw new CorruptImageError('JPEG has an unexpected marker.');
    if (offset + 2 > buffer.length) break;
    const length = buffer.readUInt16BE(offset);
    if (length < 2 || offset + length > buffer.length) throw new CorruptImageError('JPEG segment is truncated.');
    if (isStartOfFrame(marker)) {
      if (length < 8) throw new CorruptImageError('JPEG frame header is too short.');
      height = buffer.readUInt16BE(offset + 3);
      width = buffer.readUInt16BE(offset + 5);
      if (width === 0 || height === 0) throw new CorruptImageError('JPEG frame declares a zero dimension.');
    }
    offset += length;
    if (marker === 0xda) {
      if (width === 0) throw new CorruptImageError('JPEG scan comes before its frame header.');
      sawScan = true;
      offset = skipEntropyCodedData(buffer, offset);
    }
  }
  throw new CorruptImageError('JPEG is truncated: no end-of-image marker.');
}

/** Skip a scan's entropy-coded bytes: they end at the first 0xFF not followed by 0x00 (stuffing) or a restart marker. */
function skipEntropyCodedData(buffer: Buffer, start: number): number {
  let offset = start;
  while (offset + 1 < buffer.length) {
    offset = buffer.indexOf(0xff, offset);
    if (offset === -1 || offset + 1 >= buffer.length) return buffer.length;
    const next = buffer[offset + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      offset += next === 0xff ? 1 : 2;
      continue;
    }
    return offset;
  }
  return buffer.length;
}
