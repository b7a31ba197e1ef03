/**
 * How long the inspect pipeline takes per wafer image, in process: byte checks, the one decode,
 * detection with the embedded model, the record and the queued alert, with an in-memory store, alert
 * queue and image claims so only the product's own work is timed (S3, SQS and DynamoDB latency are not).
 *
 *   npm run bench:inspect -- --images <dir> [--images <dir>] [--rounds 3] [--model models/wafer-default.wwm]
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector';
import type { InspectionRecord } from '../functions/core/inspection';
import { inspectWaferImage } from '../functions/core/inspect-wafer-image';
import type { AlertPublisher } from '../functions/core/ports/alert-queue';
import type { ImageClaims } from '../functions/core/ports/alert-state-store';
import type { InspectionStore } from '../functions/core/ports/inspection-store';
import { percentile } from './load-benchmark';
import { SharpImageDecoder } from '../functions/adapters/image-decoding/sharp-image-decoder';

const { values } = parseArgs({
  options: {
    images: { type: 'string', multiple: true, default: ['samples/wafer-photos/good', 'samples/wafer-photos/anomalous'] },
    rounds: { type: 'string', default: '3' },
    model: { type: 'string', default: 'models/wafer-default.wwm' },
  },
});

/** Keeps nothing: the benchmark times the pipeline, not storage. */
const discardingStore: InspectionStore = {
  putImage: async () => undefined,
  putMask: async () => undefined,
  putRecord: async (_record: InspectionRecord) => undefined,
  getRecord: async () => undefined,
  updateRecord: async (_inspectionId, change) => change(undefined),
  getObject: async () => undefined,
  listRecentRecords: async () => [],
};

/** Takes every alert and keeps none: queueing is timed as the pipeline's own work, not SQS's. */
const discardingQueue: AlertPublisher = { publish: async () => undefined };

/**
 * Claims that never match: every pass sends the same photos again, and real claims would answer those from the first
 * inspection (no detection at all), so the benchmark would time the duplicate path instead of the full pipeline.
 */
const neverSeenClaims: ImageClaims = { claim: async () => ({ firstSeen: true }), release: async () => {} };

async function main(): Promise<void> {
  const files: string[] = [];
  for (const dir of values.images) {
    for (const name of (await readdir(dir)).sort()) if (/\.(jpe?g|png)$/i.test(name)) files.push(join(dir, name));
  }
  const images = await Promise.all(files.map(async (path) => ({ path, bytes: await readFile(path) })));
  const detector = loadEmbeddedDetector(await readFile(values.model));
  const deps = {
    store: discardingStore,
    detector,
    alerts: discardingQueue,
    imageClaims: neverSeenClaims,
    alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
    decoder: new SharpImageDecoder(),
    limits: { maxBytes: 16 * 1024 * 1024, minSide: 64, maxSide: 4096 },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  // One untimed pass warms the code paths and sharp.
  for (const image of images) await inspectWaferImage(deps, { bytes: image.bytes, stationId: 'bench', source: 'api' });
  const timings: number[] = [];
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const image of images) {
      const started = performance.now();
      await inspectWaferImage(deps, { bytes: image.bytes, stationId: 'bench', source: 'api' });
      timings.push(performance.now() - started);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  const sorted = [...timings].sort((a, b) => a - b);
  console.log(`inspect pipeline: ${images.length} images x ${values.rounds} rounds, one at a time`);
  console.log(
    `  p50 ${percentile(sorted, 50).toFixed(1)} ms   p95 ${percentile(sorted, 95).toFixed(1)} ms   p99 ${percentile(sorted, 99).toFixed(1)} ms   max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
  );
  console.log(
    `  throughput ${(1000 / (timings.reduce((a, b) => a + b, 0) / timings.length)).toFixed(1)} images/s   peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
  );
}

await main();
