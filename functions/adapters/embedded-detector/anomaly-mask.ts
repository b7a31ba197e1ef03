import { crc32, deflateSync } from 'node:zlib';

/** Colour of the single anomaly label in the mask, Lookout style. */
export const ANOMALY_COLOR = '#FF0000';
/** Colour of the normal area in the mask. */
export const BACKGROUND_COLOR = '#000000';

/** Where the anomalous patches are, as a grid of patch flags over the working image. */
export interface PatchGrid {
  /** 1 where the smoothed patch score is above the threshold. */
  flags: Uint8Array;
  gridWidth: number;
  gridHeight: number;
  /** Patch side and stride in working pixels. */
  patchSize: number;
  stride: number;
  /** Working image size the grid lives on. */
  workingWidth: number;
  workingHeight: number;
}

/** The mask PNG at the source image's size and the share of its pixels that are anomalous. */
export interface AnomalyMask {
  png: Uint8Array;
  anomalousPixels: number;
  totalPixels: number;
}

/**
 * Paint every flagged patch into a mask as large as the source image and encode it as a
 * 1-bit palette PNG (black background, red anomalies): a 1732x1750 mask costs a few hundred
 * kilobytes to deflate instead of megabytes of RGB, and the percentages are counted on the same pixels.
 */
export function renderAnomalyMask(grid: PatchGrid, sourceWidth: number, sourceHeight: number): AnomalyMask {
  // Most wafers are normal: nothing is painted, and the mask is the same blank PNG for every image of a size.
  if (grid.flags.every((flag) => flag === 0))
    return { png: Buffer.from(blankMask(sourceWidth, sourceHeight)), anomalousPixels: 0, totalPixels: sourceWidth * sourceHeight };
  const { workingWidth, workingHeight } = grid;
  // Anomalous working pixels along each axis are the union of flagged patch spans; paint per working row.
  const working = new Uint8Array(workingWidth * workingHeight);
  const paintedRows = new Uint8Array(workingHeight);
  for (let gy = 0; gy < grid.gridHeight; gy++) {
    for (let gx = 0; gx < grid.gridWidth; gx++) {
      if (!grid.flags[gy * grid.gridWidth + gx]) continue;
      const y0 = gy * grid.stride;
      const x0 = gx * grid.stride;
      const y1 = Math.min(workingHeight, y0 + grid.patchSize);
      const x1 = Math.min(workingWidth, x0 + grid.patchSize);
      for (let y = y0; y < y1; y++) working.fill(1, y * workingWidth + x0, y * workingWidth + x1);
      if (x1 > x0) paintedRows.fill(1, y0, y1);
    }
  }
  // Working column wx is drawn on the source columns whose nearest working column it is: [firstColumn[wx],
  // firstColumn[wx + 1]), as that nearest column never decreases from left to right (none when upscaling skips it).
  const firstColumn = new Int32Array(workingWidth + 1);
  for (let wx = 0, x = 0; wx <= workingWidth; wx++) {
    while (x < sourceWidth && Math.min(workingWidth - 1, Math.floor(((x + 0.5) * workingWidth) / sourceWidth)) < wx) x++;
    firstColumn[wx] = x;
  }
  const rowBytes = 1 + Math.ceil(sourceWidth / 8);
  const raw = Buffer.alloc(rowBytes * sourceHeight);
  let anomalousPixels = 0;
  // Source rows drawn from one working row are painted once and copied; a row drawn from an unpainted one stays 0.
  let previousRow = -1;
  let previousCount = 0;
  for (let y = 0; y < sourceHeight; y++) {
    const wy = Math.min(workingHeight - 1, Math.floor(((y + 0.5) * workingHeight) / sourceHeight));
    const start = y * rowBytes;
    if (wy === previousRow) {
      if (previousCount > 0) raw.copyWithin(start, start - rowBytes, start);
    } else {
      previousRow = wy;
      previousCount = 0;
      const base = wy * workingWidth;
      // Each run of painted working pixels paints the source columns drawn from it.
      for (let wx = 0; paintedRows[wy] && wx < workingWidth; wx++) {
        if (!working[base + wx]) continue;
        const runStart = wx;
        while (wx < workingWidth && working[base + wx]) wx++;
        previousCount += setBits(raw, start + 1, firstColumn[runStart]!, firstColumn[wx]!);
      }
    }
    anomalousPixels += previousCount;
  }
  return { png: encodePalettePng(sourceWidth, sourceHeight, raw), anomalousPixels, totalPixels: sourceWidth * sourceHeight };
}

/** Set bits [from, to) of a 1-bit row starting at `offset` (most significant bit first); returns how many. */
function setBits(bytes: Uint8Array, offset: number, from: number, to: number): number {
  for (let x = from; x < to;) {
    if ((x & 7) === 0 && x + 8 <= to) {
      bytes[offset + (x >> 3)] = 0xff;
      x += 8;
    } else {
      bytes[offset + (x >> 3)]! |= 0x80 >> (x & 7);
      x++;
    }
  }
  return Math.max(0, to - from);
}

/** Blank masks by size, the last few sizes seen (a station's camera sends one size). */
const blankMasks = new Map<string, Uint8Array>();
const BLANK_MASK_SIZES_KEPT = 4;

function blankMask(width: number, height: number): Uint8Array {
  const key = `${width}x${height}`;
  let png = blankMasks.get(key);
  if (!png) {
    png = encodePalettePng(width, height, Buffer.alloc((1 + Math.ceil(width / 8)) * height));
    if (blankMasks.size >= BLANK_MASK_SIZES_KEPT) blankMasks.delete(blankMasks.keys().next().value!);
    blankMasks.set(key, png);
  }
  return png;
}

function encodePalettePng(width: number, height: number, filteredRows: Buffer): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 3; // palette colour
  const palette = Buffer.from([0, 0, 0, 255, 0, 0]);
  const idat = deflateSync(filteredRows, { level: 1 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', palette),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
