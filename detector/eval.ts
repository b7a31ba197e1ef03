import { readFile } from 'node:fs/promises';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector/embedded-detector';
import { encodeModelFile } from '../functions/adapters/embedded-detector/model-file';
import { writeFile } from 'node:fs/promises';
import { driftReport, formatDriftTable, type DriftCase } from './drift';
import { auroc, numberList, parseArgs, seededRandom, shuffled } from './evaluation';
import { DRIFT_PERTURBATIONS, parsePerturbation } from './perturbations';
import { kindOf, readImageFolder, rotationOf } from './image-folder';
import { rotatedPhoto } from './rotated-copies';
import { trainWaferModel, type NamedImage } from './training';

const USAGE = `npm run eval:detector -- --normal <dir> --anomalous <dir>
  [--splits 10] [--train-count 9] [--seed 1]
  [--train-rotations 0]        train only on normals whose file-name rotation is listed
  [--test-rotations 30,45,200] also test rotated copies of every test image at these angles
  [--margin 0.2] [--bank-size 500]
  [--model <file.wwm>]         no training: score every image with this model (one "split")
  [--drift [brightness:1.15,blur:1.5,jpeg:50,scale:0.9,...]]
                               camera drift: false-call rate and recall at the model's own threshold of the
                               held-out images under each perturbation (default: brightness ±5/10/15 %,
                               blur σ 0.5/1/1.5, JPEG 90/70/50, scale 90/95/105/110 %), pooled over splits
  [--json <file>]              with --drift: also write the report as JSON
  [--details]                  with --drift: list false calls and misses under each row`;

interface SplitResult {
  split: number;
  train: string[];
  auroc: number;
  accuracy: number;
  fpr: number;
  recall: Map<string, { hit: number; total: number }>;
  threshold: number;
  maxNormal: number;
  minAnomalous: number;
  msPerImage: number;
  trainSeconds: number;
  falsePositives: string[];
  misses: string[];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const normalDir = args.get('normal');
  const anomalousDir = args.get('anomalous');
  if (!normalDir || !anomalousDir) {
    console.error(USAGE);
    process.exit(2);
  }
  const splits = Number(args.get('splits') ?? 10);
  const trainCount = Number(args.get('train-count') ?? 9);
  const seed = Number(args.get('seed') ?? 1);
  const trainRotations = args.has('train-rotations') ? numberList(args.get('train-rotations')) : undefined;
  const testRotations = numberList(args.get('test-rotations'));
  const options: Parameters<typeof trainWaferModel>[1] = {};
  if (args.has('margin')) options.thresholdMargin = Number(args.get('margin'));
  if (args.has('bank-size')) options.bankSize = Number(args.get('bank-size'));

  const normals = await readImageFolder(normalDir);
  const anomalous = await readImageFolder(anomalousDir);
  const withRotations = async (images: NamedImage[]) => {
    const out = [...images];
    for (const image of images) for (const angle of testRotations) out.push(await rotatedPhoto(image, angle));
    return out;
  };
  const anomalousTest = await withRotations(anomalous);
  const random = seededRandom(seed);
  const results: SplitResult[] = [];
  console.log(
    `normal ${normals.length}, anomalous ${anomalous.length}, test rotations [${testRotations.join(', ')}], train rotations ${trainRotations ? `[${trainRotations.join(', ')}]` : 'any'}`,
  );
  console.log('split  AUROC  acc    FPR    recall(per type)                                   thr     maxN    minA    ms/img  train s');
  const fixedModel = args.get('model');
  const drift = args.has('drift');
  const driftCases: DriftCase[] = [];
  for (let split = 1; split <= (fixedModel ? 1 : splits); split++) {
    const eligible = trainRotations ? normals.filter((n) => trainRotations.includes(rotationOf(n.name))) : normals;
    const train = fixedModel ? [] : shuffled(eligible, random).slice(0, Math.min(trainCount, eligible.length));
    const trainNames = new Set(train.map((t) => t.name));
    const normalTest = await withRotations(normals.filter((n) => !trainNames.has(n.name)));
    const { detector, threshold, trainMillis } = fixedModel
      ? await (async () => {
          const loaded = loadEmbeddedDetector(await readFile(fixedModel));
          return { detector: loaded, threshold: loaded.model.threshold, trainMillis: 0 };
        })()
      : await (async () => {
          const { model, report } = await trainWaferModel(train, options);
          return { detector: loadEmbeddedDetector(encodeModelFile(model)), threshold: report.threshold, trainMillis: report.millis };
        })();
    if (drift) {
      driftCases.push({ detector, normals: normalTest, anomalous: anomalousTest });
      console.log(
        `split ${split}: trained on ${train.length} (threshold ${threshold.toFixed(3)}), testing ${normalTest.length} normal + ${anomalousTest.length} anomalous`,
      );
      continue;
    }
    const normalScores: number[] = [];
    const anomalousScores: number[] = [];
    const recall = new Map<string, { hit: number; total: number }>();
    const falsePositives: string[] = [];
    const misses: string[] = [];
    let correct = 0;
    let millis = 0;
    for (const [images, label] of [
      [normalTest, false],
      [anomalousTest, true],
    ] as const) {
      for (const image of images) {
        const started = performance.now();
        const result = await detector.detectBytes(image.bytes);
        millis += performance.now() - started;
        (label ? anomalousScores : normalScores).push(result.AnomalyScore!);
        if (result.IsAnomalous === label) correct++;
        else (label ? misses : falsePositives).push(`${image.name}(${result.AnomalyScore!.toFixed(2)})`);
        if (label) {
          const kind = kindOf(image.name);
          const entry = recall.get(kind) ?? { hit: 0, total: 0 };
          entry.total++;
          if (result.IsAnomalous) entry.hit++;
          recall.set(kind, entry);
        }
      }
    }
    const total = normalTest.length + anomalousTest.length;
    const result: SplitResult = {
      split,
      train: train.map((t) => t.name),
      auroc: auroc(normalScores, anomalousScores),
      accuracy: correct / total,
      fpr: falsePositives.length / Math.max(1, normalTest.length),
      recall,
      threshold,
      maxNormal: Math.max(...normalScores),
      minAnomalous: Math.min(...anomalousScores),
      msPerImage: millis / total,
      trainSeconds: trainMillis / 1000,
      falsePositives,
      misses,
    };
    results.push(result);
    printRow(String(split), result);
    if (falsePositives.length) console.log(`       false positives: ${falsePositives.join(' ')}`);
    if (misses.length) console.log(`       misses: ${misses.join(' ')}`);
  }
  if (drift) {
    const listed = args.get('drift');
    const perturbations = listed && listed !== 'true' ? listed.split(',').map(parsePerturbation) : DRIFT_PERTURBATIONS;
    if (fixedModel) console.log('note: with --model every image is scored, including any the model was trained on');
    const report = await driftReport(driftCases, perturbations);
    console.log(formatDriftTable(report, args.has('details')));
    const jsonOut = args.get('json');
    if (jsonOut) await writeFile(jsonOut, JSON.stringify({ model: fixedModel ?? null, splits: driftCases.length, ...report }, null, 2) + '\n');
    return;
  }
  const mean = (f: (r: SplitResult) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
  const kinds = [...new Set(results.flatMap((r) => [...r.recall.keys()]))].sort();
  const pooledRecall = new Map(
    kinds.map((k) => [
      k,
      results.reduce(
        (acc, r) => {
          const e = r.recall.get(k);
          return { hit: acc.hit + (e?.hit ?? 0), total: acc.total + (e?.total ?? 0) };
        },
        { hit: 0, total: 0 },
      ),
    ]),
  );
  console.log('-'.repeat(120));
  console.log(
    `mean   ${mean((r) => r.auroc).toFixed(3)}  ${mean((r) => r.accuracy).toFixed(3)}  ${(100 * mean((r) => r.fpr)).toFixed(1).padStart(4)}%  ` +
      `${formatRecall(pooledRecall).padEnd(50)} ms/img ${mean((r) => r.msPerImage).toFixed(1)}, train ${mean((r) => r.trainSeconds).toFixed(1)} s`,
  );
  const worst = [...results].sort((a, b) => a.accuracy - b.accuracy || a.auroc - b.auroc)[0]!;
  console.log(
    `worst  split ${worst.split}: AUROC ${worst.auroc.toFixed(3)}, accuracy ${worst.accuracy.toFixed(3)}, FPR ${(100 * worst.fpr).toFixed(1)}%, ` +
      `min AUROC over splits ${Math.min(...results.map((r) => r.auroc)).toFixed(3)}, min accuracy ${Math.min(...results.map((r) => r.accuracy)).toFixed(3)}`,
  );
}

function formatRecall(recall: Map<string, { hit: number; total: number }>): string {
  return [...recall.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v.hit}/${v.total}`)
    .join(', ');
}

function printRow(label: string, r: SplitResult): void {
  console.log(
    `${label.padEnd(6)} ${r.auroc.toFixed(3)}  ${r.accuracy.toFixed(3)}  ${(100 * r.fpr).toFixed(1).padStart(4)}%  ${formatRecall(r.recall).padEnd(50)} ` +
      `${r.threshold.toFixed(2).padStart(6)}  ${r.maxNormal.toFixed(2).padStart(6)}  ${r.minAnomalous.toFixed(2).padStart(6)}  ${r.msPerImage.toFixed(1).padStart(6)}  ${r.trainSeconds.toFixed(1).padStart(6)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
