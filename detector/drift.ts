import type { EmbeddedDetector } from '../functions/adapters/embedded-detector/embedded-detector';
import { auroc } from './evaluation';
import { perturbationLabel, perturbPhoto, type Perturbation } from './perturbations';
import type { NamedImage } from './training';

/** The camera-drift goal: with the model's own threshold, at most this many false calls and at least this recall. */
export const DRIFT_GOAL = { maxFalseCallRate: 0.05, minRecall: 0.95 } as const;

/** One detector and the images it has never seen (a split of the evaluation, or a fixed model and every image). */
export interface DriftCase {
  detector: Pick<EmbeddedDetector, 'detectBytes'>;
  normals: readonly NamedImage[];
  anomalous: readonly NamedImage[];
}

/** How one perturbation does, pooled over every case. */
export interface DriftRow {
  perturbation: string;
  normals: number;
  falseCalls: number;
  falseCallRate: number;
  anomalous: number;
  found: number;
  recall: number;
  /** Ranking only (threshold-free): 1 when every anomalous image scores above every normal one. */
  auroc: number;
  /** Highest normal and lowest anomalous image score: any threshold between them would be right. */
  maxNormalScore: number;
  minAnomalousScore: number;
  goalMet: boolean;
  /** Image names (with their score) called anomalous while normal, and anomalous ones missed. */
  falseCallNames: string[];
  missedNames: string[];
}

export interface DriftReport {
  goal: typeof DRIFT_GOAL;
  rows: DriftRow[];
  /** True when every row meets the goal. */
  goalMet: boolean;
}

/**
 * Score every case's images under every perturbation (the unperturbed row first) at each detector's own
 * threshold. Perturbed copies are made once per image and perturbation and shared between cases.
 */
export async function driftReport(cases: readonly DriftCase[], perturbations: readonly Perturbation[]): Promise<DriftReport> {
  const cache = new Map<string, Promise<Uint8Array>>();
  const perturbed = (image: NamedImage, p: Perturbation): Promise<Uint8Array> => {
    const key = `${perturbationLabel(p)}\0${image.name}`;
    let bytes = cache.get(key);
    if (!bytes) {
      bytes = perturbPhoto(image.bytes, p);
      cache.set(key, bytes);
    }
    return bytes;
  };
  const all: Perturbation[] = [{ kind: 'none' }, ...perturbations.filter((p) => p.kind !== 'none')];
  const rows: DriftRow[] = [];
  for (const p of all) {
    const normalScores: number[] = [];
    const anomalousScores: number[] = [];
    const falseCallNames: string[] = [];
    const missedNames: string[] = [];
    for (const c of cases) {
      for (const [images, label] of [
        [c.normals, false],
        [c.anomalous, true],
      ] as const) {
        for (const image of images) {
          const result = await c.detector.detectBytes(await perturbed(image, p));
          const score = result.AnomalyScore ?? Number.NaN;
          (label ? anomalousScores : normalScores).push(score);
          if (result.IsAnomalous !== label) (label ? missedNames : falseCallNames).push(`${image.name}(${score.toFixed(2)})`);
        }
      }
    }
    const falseCallRate = falseCallNames.length / Math.max(1, normalScores.length);
    const recall = anomalousScores.length ? (anomalousScores.length - missedNames.length) / anomalousScores.length : Number.NaN;
    rows.push({
      perturbation: perturbationLabel(p),
      normals: normalScores.length,
      falseCalls: falseCallNames.length,
      falseCallRate,
      anomalous: anomalousScores.length,
      found: anomalousScores.length - missedNames.length,
      recall,
      auroc: auroc(normalScores, anomalousScores),
      maxNormalScore: normalScores.length ? Math.max(...normalScores) : Number.NaN,
      minAnomalousScore: anomalousScores.length ? Math.min(...anomalousScores) : Number.NaN,
      goalMet: falseCallRate <= DRIFT_GOAL.maxFalseCallRate && recall >= DRIFT_GOAL.minRecall,
      falseCallNames,
      missedNames,
    });
    // Perturbed copies of one perturbation are not needed again: free them.
    for (const key of [...cache.keys()]) if (key.startsWith(`${perturbationLabel(p)}\0`)) cache.delete(key);
  }
  return { goal: DRIFT_GOAL, rows, goalMet: rows.every((r) => r.goalMet) };
}

/** The report as a fixed-width table, one row per perturbation, with the misses and false calls under it when asked. */
export function formatDriftTable(report: DriftReport, details = false): string {
  const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
  const lines = [
    `goal: false calls <= ${(100 * report.goal.maxFalseCallRate).toFixed(0)}% and recall >= ${(100 * report.goal.minRecall).toFixed(0)}% at the model's own threshold`,
    'perturbation       normals  false calls  anomalous  found          AUROC  max normal  min anomalous  goal',
  ];
  for (const r of report.rows) {
    lines.push(
      `${r.perturbation.padEnd(18)} ${String(r.normals).padStart(7)}  ${String(r.falseCalls).padStart(4)} ${pct(r.falseCallRate)}  ` +
        `${String(r.anomalous).padStart(9)}  ${String(r.found).padStart(4)} ${pct(r.recall)}  ${r.auroc.toFixed(3)}  ` +
        `${r.maxNormalScore.toFixed(2).padStart(10)}  ${r.minAnomalousScore.toFixed(2).padStart(13)}  ${r.goalMet ? 'ok' : 'FAIL'}`,
    );
    if (details && r.falseCallNames.length) lines.push(`    false calls: ${r.falseCallNames.join(' ')}`);
    if (details && r.missedNames.length) lines.push(`    missed: ${r.missedNames.join(' ')}`);
  }
  const failing = report.rows.filter((r) => !r.goalMet).map((r) => r.perturbation);
  lines.push(report.goalMet ? 'goal holds under every perturbation' : `goal NOT met under: ${failing.join(', ')}`);
  return lines.join('\n');
}
