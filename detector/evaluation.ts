/** Area under the ROC curve of anomalous vs normal scores (ties count half). */
export function auroc(normalScores: readonly number[], anomalousScores: readonly number[]): number {
  if (normalScores.length === 0 || anomalousScores.length === 0) return Number.NaN;
  let wins = 0;
  for (const a of anomalousScores) for (const n of normalScores) wins += a > n ? 1 : a === n ? 0.5 : 0;
  return wins / (normalScores.length * anomalousScores.length);
}

/** A small seeded PRNG (mulberry32), so a split is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle with the given random source (returns a copy). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Parse `--name value` pairs (and bare `--flag`) from argv. */
export function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${arg}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) args.set(arg.slice(2), 'true');
    else {
      args.set(arg.slice(2), next);
      i++;
    }
  }
  return args;
}

/** A comma-separated list of numbers, e.g. "30,45,200". */
export function numberList(text: string | undefined): number[] {
  if (!text) return [];
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isFinite(n)) throw new Error(`Not a number: ${s}`);
    return n;
  });
}
