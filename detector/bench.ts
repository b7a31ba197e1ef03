import { readFile } from 'node:fs/promises';
import { imageScore, regionRows, regionScoreMap, scoredRegion, standardise } from '../functions/adapters/embedded-detector/anomaly-map';
import { renderAnomalyMask } from '../functions/adapters/embedded-detector/anomaly-mask';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector/embedded-detector';
import { MemoryBank } from '../functions/adapters/embedded-detector/memory-bank';
import { extractPatchFeatures } from '../functions/adapters/embedded-detector/patch-features';
import { decodeWorkingImage } from '../functions/adapters/embedded-detector/working-image';
import { parseArgs } from './evaluation';
import { readImageFolder } from './image-folder';
import { percentile } from '../bench/load-benchmark';

const USAGE = 'npm run bench:detector -- --images <dir> [--images2 <dir>] [--model models/wafer-default.wwm] [--rounds 5]';

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${percentile(sorted, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(sorted, 95).toFixed(1).padStart(6)} ms   min ${sorted[0]!.toFixed(1).padStart(6)} ms   (n=${values.length})`;
}

/** True when the JPEG's first frame header is progressive (SOF2): those decode several times slower. */
function isProgressiveJpeg(bytes: Uint8Array): boolean {
  for (let i = 2; i + 3 < bytes.length;) {
    if (bytes[i] !== 0xff) return false;
    const marker = bytes[i + 1]!;
    if (marker === 0xc2) return true;
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xda) return false;
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  return false;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dirs = [args.get('images'), args.get('images2')].filter((d): d is string => Boolean(d));
  if (dirs.length === 0) {
    console.error(USAGE);
    process.exit(2);
  }
  const modelPath = args.get('model') ?? 'models/wafer-default.wwm';
  const rounds = Number(args.get('rounds') ?? 5);
  const images = (await Promise.all(dirs.map(readImageFolder))).flat();

  const modelBytes = await readFile(modelPath);
  const loads: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    loadEmbeddedDetector(modelBytes);
    loads.push(performance.now() - started);
  }
  const detector = loadEmbeddedDetector(modelBytes);
  // Warm the JIT and sharp before timing, as a container does after its first request.
  for (const image of images.slice(0, 3)) await detector.detectBytes(image.bytes);

  const total: number[] = [];
  const progressive: number[] = [];
  const baseline: number[] = [];
  const stages = { decode: [] as number[], features: [] as number[], search: [] as number[], mask: [] as number[] };
  const bank = new MemoryBank(detector.model.bank, detector.model.featureMean.length);
  const { model } = detector;
  for (let round = 0; round < rounds; round++) {
    for (const image of images) {
      const started = performance.now();
      await detector.detectBytes(image.bytes);
      const ms = performance.now() - started;
      total.push(ms);
      (isProgressiveJpeg(image.bytes) ? progressive : baseline).push(ms);

      // The same pipeline again, stage by stage.
      let t = performance.now();
      const working = await decodeWorkingImage(image.bytes, model.settings.workingSide);
      stages.decode.push(performance.now() - t);
      t = performance.now();
      const features = extractPatchFeatures(working, model.settings);
      standardise(features, model.featureMean, model.featureScale);
      stages.features.push(performance.now() - t);
      t = performance.now();
      // As scoreWorkingImage searches: the scored patches only, row by row (the patch above is a pivot too).
      const region = scoredRegion(features.gridWidth, features.gridHeight, model.settings.borderPatches ?? 0);
      const distances = bank.nearestDistances(regionRows(features.values, features.gridWidth, features.dims, region), region.width);
      const smoothed = regionScoreMap(distances, region, features.gridWidth, features.gridHeight, model.smoothingRadius);
      stages.search.push(performance.now() - t);
      t = performance.now();
      const anomalous = imageScore(smoothed) > model.threshold;
      const flags = smoothed.map((s) => (anomalous && s > model.maskThreshold ? 1 : 0));
      renderAnomalyMask(
        {
          flags: Uint8Array.from(flags),
          gridWidth: features.gridWidth,
          gridHeight: features.gridHeight,
          patchSize: Math.min(...model.settings.scales) * model.settings.cellSize,
          stride: model.settings.cellSize,
          workingWidth: working.width,
          workingHeight: working.height,
        },
        working.sourceWidth,
        working.sourceHeight,
      );
      stages.mask.push(performance.now() - t);
    }
  }
  const sizes = [...new Set(images.map((i) => (i.bytes.length > 200_000 ? 'full-size photos' : 'small images')))];
  console.log(
    `Model ${modelPath}: ${modelBytes.length} bytes (${(modelBytes.length / 1024).toFixed(1)} KiB), bank ${model.bank.length / model.featureMean.length} x ${model.featureMean.length}`,
  );
  console.log(summary('model load (parse + index)', loads));
  console.log(
    `${images.length} images (${sizes.join(', ')}) x ${rounds} rounds, one at a time; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(summary('bytes -> result, all', total));
  if (progressive.length) console.log(summary('  progressive JPEG', progressive));
  if (baseline.length) console.log(summary('  baseline JPEG / PNG', baseline));
  for (const [name, values] of Object.entries(stages)) console.log(summary(`  stage: ${name}`, values));
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
