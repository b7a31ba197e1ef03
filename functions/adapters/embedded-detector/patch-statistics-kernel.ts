import { PATCH_STATISTICS_WASM_BASE64 } from './patch-statistics-wasm';
import { align16, instantiateKernel, reserveKernelMemory, type KernelMemory } from './wasm-kernel';
import type { WorkingImage } from './working-image';

/** The kernel's exports (assembly/patch-statistics.ts); offsets are bytes into `memory`. */
interface PatchStatisticsExports {
  memory: KernelMemory;
  scratchBytes(width: number, height: number, cell: number, cellsX: number): number;
  cellStatistics(
    rgb: number,
    width: number,
    height: number,
    cell: number,
    cellsX: number,
    cellsY: number,
    radius: number,
    cells: number,
    histogram: number,
    scratch: number,
  ): void;
  descriptorRows(
    cells: number,
    cellsX: number,
    cellsY: number,
    cell: number,
    gridWidth: number,
    gridHeight: number,
    dims: number,
    gain: number,
    values: number,
    scale: number,
    scaleIndex: number,
    before: number,
  ): void;
}

/** Possible values of R+G+B for 8-bit pixels: 0..765 (the histogram's bins). */
const CHANNEL_SUMS = 766;
/** Statistics per cell, float64 each (the kernel's CELL_STATS). */
const CELL_STATS = 11;

let kernel: PatchStatisticsExports | undefined;

/**
 * The kernel, compiled and instantiated at its first use (a few kilobytes: well under a millisecond), once per thread.
 * Its memory grows to the largest image seen and is reused: each call is synchronous, so no two overlap.
 */
function patchStatisticsKernel(): PatchStatisticsExports {
  kernel ??= instantiateKernel<PatchStatisticsExports>(PATCH_STATISTICS_WASM_BASE64);
  return kernel;
}

/** What one image's descriptors are computed from: its grid of cells and patches (see extractPatchFeatures). */
export interface PatchGridShape {
  cell: number;
  cellsX: number;
  cellsY: number;
  radius: number;
  gridWidth: number;
  gridHeight: number;
  dims: number;
}

/** One scale of the descriptors: patches `scale` cells wide, its values from `scaleIndex` × 11 in each row. */
export interface DescriptorScale {
  scale: number;
  scaleIndex: number;
  /** Cells of the window before the smallest scale's first cell (larger windows are centred on the same point). */
  before: number;
}

/**
 * The descriptors of every patch (`dims` float32 values per patch, row-major over the grid): the cell statistics of the
 * image, then, once the histogram of R+G+B has given `gainOf` the photometric gain, each scale's means, spreads and
 * extremes. The kernel computes them (assembly/patch-statistics.ts); the result is a copy, not a view of its memory,
 * and the histogram handed to `gainOf` is a view, valid during that call only. Cells are at most MAX_CELL_SIDE
 * (patch-features.ts) pixels wide.
 */
export function computeDescriptors(
  image: WorkingImage,
  shape: PatchGridShape,
  scales: readonly DescriptorScale[],
  gainOf: (brightnessHistogram: Uint32Array) => number,
): Float32Array {
  const { width, height, rgb } = image;
  const { cell, cellsX, cellsY, radius, gridWidth, gridHeight, dims } = shape;
  const k = patchStatisticsKernel();
  // Layout: the pixels (with 16 bytes after them: the kernel reads whole vectors), the cells, the histogram, the
  // descriptors, the kernel's scratch area; every part 16-byte aligned.
  const rgbAt = 0;
  const cellsAt = align16(rgbAt + rgb.length + 16);
  const histogramAt = align16(cellsAt + cellsX * cellsY * CELL_STATS * 8);
  const valuesAt = align16(histogramAt + CHANNEL_SUMS * 4);
  const valueCount = gridWidth * gridHeight * dims;
  const scratchAt = align16(valuesAt + valueCount * 4);
  const end = scratchAt + k.scratchBytes(width, height, cell, cellsX);
  reserveKernelMemory(k.memory, end);
  new Uint8Array(k.memory.buffer, rgbAt, rgb.length).set(rgb);
  k.cellStatistics(rgbAt, width, height, cell, cellsX, cellsY, radius, cellsAt, histogramAt, scratchAt);
  const gain = gainOf(new Uint32Array(k.memory.buffer, histogramAt, CHANNEL_SUMS));
  for (const { scale, scaleIndex, before } of scales) {
    k.descriptorRows(cellsAt, cellsX, cellsY, cell, gridWidth, gridHeight, dims, gain, valuesAt, scale, scaleIndex, before);
  }
  return new Float32Array(k.memory.buffer, valuesAt, valueCount).slice();
}
