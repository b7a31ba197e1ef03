import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector/embedded-detector';
import { encodeModelFile } from '../functions/adapters/embedded-detector/model-file';
import { auroc, parseArgs } from './evaluation';
import { readImageFolder } from './image-folder';
import { trainWaferModel } from './training';

const USAGE = 'npm run train -- --normal <dir> [--anomalous <dir>] --out <file.wwm> [--margin 0.25] [--bank-size 500] [--created-at <ISO date>]';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const normalDir = args.get('normal');
  const out = args.get('out');
  if (!normalDir || !out) {
    console.error(USAGE);
    process.exit(2);
  }
  const normals = await readImageFolder(normalDir);
  const options: Parameters<typeof trainWaferModel>[1] = {};
  if (args.has('margin')) options.thresholdMargin = Number(args.get('margin'));
  if (args.has('bank-size')) options.bankSize = Number(args.get('bank-size'));
  // A fixed date makes a retrained file byte-identical to the committed one.
  if (args.has('created-at')) options.createdAt = new Date(args.get('created-at')!).toISOString();
  console.log(`Training on ${normals.length} normal images from ${normalDir}`);
  const { model, report } = await trainWaferModel(normals, options);
  const bytes = encodeModelFile(model);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bytes);

  console.log(`Held-out normal scores (image held out of the bank, at rotations the bank never saw):`);
  const byName = new Map<string, number[]>();
  for (const h of report.heldOutScores) byName.set(h.name, [...(byName.get(h.name) ?? []), h.score]);
  for (const [name, scores] of byName)
    console.log(`  ${name.padEnd(28)} max ${Math.max(...scores).toFixed(3)}  (${scores.map((s) => s.toFixed(2)).join(' ')})`);
  console.log(`Threshold ${report.threshold.toFixed(3)}, confidence scale ${model.confidenceScale.toFixed(3)}`);
  console.log(
    `Bank ${model.bank.length / model.featureMean.length} of ${report.poolSize} patch descriptors, coreset radius ${report.coresetRadius.toFixed(3)}`,
  );
  console.log(
    `Model ${out}: ${bytes.length} bytes, trained in ${(report.millis / 1000).toFixed(1)} s (${(report.featureMillis / 1000).toFixed(1)} s describing images)`,
  );

  const anomalousDir = args.get('anomalous');
  if (anomalousDir) {
    // Labelled anomalies only report how the model does; nothing above was fitted on them.
    const detector = loadEmbeddedDetector(bytes);
    const trainScores = report.heldOutScores.map((h) => h.score);
    const scores: number[] = [];
    for (const image of await readImageFolder(anomalousDir)) {
      const result = await detector.detectBytes(image.bytes);
      scores.push(result.AnomalyScore!);
      console.log(
        `  ${image.name.padEnd(28)} score ${result.AnomalyScore!.toFixed(3)}  ${result.IsAnomalous ? 'anomalous' : 'MISSED   '}  confidence ${result.Confidence.toFixed(3)}`,
      );
    }
    console.log(
      `AUROC (held-out normal vs anomalous): ${auroc(trainScores, scores).toFixed(3)}; recall ${scores.filter((s) => s > model.threshold).length}/${scores.length}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
