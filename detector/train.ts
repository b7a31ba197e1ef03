import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector/embedded-detector';
import { encodeModelFile } from '../functions/adapters/embedded-detector/model-file';
import { createS3Client } from '../functions/adapters/aws-clients';
import { auroc, parseArgs } from './evaluation';
import { FeedbackSourceError, parseFeedbackSource, readFeedbackNormals, withoutDuplicates } from './feedback';
import { readImageFolder } from './image-folder';
import { describeFalseCallEstimate } from './threshold';
import { trainWaferModel, type NamedImage } from './training';

const USAGE = `npm run train -- --normal <dir> [--anomalous <dir>] --out <file.wwm> [--margin 0.25] [--bank-size 500] [--created-at <ISO date>]
  [--include-feedback <dir> | s3://<bucket>/feedback/<station>/normal/]  also train on the station's labelled normals
      [--feedback-limit N] (the newest N) [--s3-endpoint URL] [--region R]
  [--target-false-call-rate 0.01]  threshold for this false-call rate on held-out normals (instead of the margin)`;

/** A number from 0 to 1, or a percentage ("1%"). */
function rateOption(name: string, text: string): number {
  const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value >= 1)
    throw new FeedbackSourceError(`--${name} must be a rate above 0 and below 1, such as 0.01 or 1% (got "${text}")`);
  return value;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const normalDir = args.get('normal');
  const out = args.get('out');
  if (!normalDir || !out) {
    console.error(USAGE);
    process.exit(2);
  }
  const targetText = args.get('target-false-call-rate');
  const targetFalseCallRate = targetText === undefined ? undefined : rateOption('target-false-call-rate', targetText);
  const feedbackText = args.get('include-feedback');
  const feedbackSource = feedbackText === undefined ? undefined : parseFeedbackSource(feedbackText);
  const feedbackLimit = args.has('feedback-limit') ? Number(args.get('feedback-limit')) : undefined;
  if (feedbackLimit !== undefined && !(Number.isInteger(feedbackLimit) && feedbackLimit > 0))
    throw new FeedbackSourceError(`--feedback-limit must be a whole number above 0 (got "${args.get('feedback-limit')}")`);
  let normals: NamedImage[] = await readImageFolder(normalDir);
  const options: Parameters<typeof trainWaferModel>[1] = {};
  if (targetFalseCallRate !== undefined) options.targetFalseCallRate = targetFalseCallRate;
  if (args.has('margin')) options.thresholdMargin = Number(args.get('margin'));
  if (args.has('bank-size')) options.bankSize = Number(args.get('bank-size'));
  // A fixed date makes a retrained file byte-identical to the committed one.
  if (args.has('created-at')) options.createdAt = new Date(args.get('created-at')!).toISOString();
  if (feedbackSource) {
    const s3Endpoint = args.get('s3-endpoint');
    const s3 =
      feedbackSource.kind === 's3'
        ? createS3Client({ region: args.get('region') ?? process.env.AWS_REGION ?? 'eu-west-1', ...(s3Endpoint ? { endpoint: s3Endpoint } : {}) })
        : undefined;
    try {
      const labelled = await readFeedbackNormals(feedbackSource, { ...(s3 ? { s3 } : {}), ...(feedbackLimit !== undefined ? { limit: feedbackLimit } : {}) });
      const { images, duplicates } = withoutDuplicates([...normals, ...labelled]);
      const where = feedbackSource.kind === 's3' ? feedbackSource.uri : feedbackSource.dir;
      console.log(
        `Labelled normals from ${where}: ${labelled.length}${feedbackLimit !== undefined ? ` (the newest, at most ${feedbackLimit})` : ''}` +
          (duplicates.length ? `, ${duplicates.length} already among the training images (left out)` : ''),
      );
      normals = images;
    } finally {
      s3?.destroy();
    }
  }
  console.log(`Training on ${normals.length} normal images from ${normalDir}${feedbackSource ? ' and the labelled normals' : ''}`);
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
  if (report.falseCallRate) {
    const choice = report.falseCallRate;
    const how = report.folds === normals.length ? 'leave-one-out: each image held out in turn' : `${report.folds}-fold: each image held out once`;
    console.log(
      choice.reached
        ? `Threshold ${choice.threshold.toFixed(3)} set for a false-call rate of ${(100 * choice.target).toString()} % on held-out normals (${how}; an image counts as called when any of its rotated or drifted copies is):`
        : `Threshold ${choice.threshold.toFixed(3)} NOT set for a false-call rate of ${(100 * choice.target).toString()} % (${how}):`,
    );
    console.log(`  ${describeFalseCallEstimate(choice)}`);
  }
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
