import { LRUCache } from 'lru-cache';
import type { Detector } from '../../core/ports/detector';
import type { ModelSpec } from '../../core/station-registry';

/** A loaded model's detector and what it holds in memory (an estimate: the cache's unit of account). */
export interface LoadedDetector {
  detector: Detector;
  sizeBytes: number;
}

export interface DetectorCacheOptions {
  /** Load one model (read, check its sha256, build its detector). */
  load: (model: ModelSpec) => Promise<LoadedDetector>;
  /** The most the loaded models may hold together; the least recently used go first. */
  maxBytes: number;
  /** Told when a model is loaded or let go, for the logs. */
  onLoad?: (model: ModelSpec, sizeBytes: number) => void;
  onEvict?: (model: ModelSpec, reason: string) => void;
}

/**
 * The detectors of the stations' own models, each loaded once per container and kept while they fit in `maxBytes`:
 * a station switching to a model not yet loaded loads it (concurrent requests for it share one load), and when the
 * models outgrow the bound the least recently used is let go (loaded again on its next wafer). lru-cache does the
 * bookkeeping (sizes, recency, shared in-flight loads); a failed load is not kept, so the next request tries again.
 */
export class DetectorCache {
  private readonly cache: LRUCache<string, LoadedDetector, ModelSpec>;

  constructor(options: DetectorCacheOptions) {
    this.cache = new LRUCache<string, LoadedDetector, ModelSpec>({
      maxSize: options.maxBytes,
      // A model larger than the whole bound is still used for the request that loaded it, only not kept.
      maxEntrySize: options.maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.sizeBytes),
      fetchMethod: async (_key, _stale, { context }) => {
        const loaded = await options.load(context);
        options.onLoad?.(context, loaded.sizeBytes);
        return loaded;
      },
      dispose: (_entry, key, reason) => {
        if (reason === 'evict') options.onEvict?.(specOfKey(key), reason);
      },
    });
  }

  /** The detector of `model`, loading it if it is not held. */
  async detectorFor(model: ModelSpec): Promise<Detector> {
    const loaded = await this.cache.fetch(keyOf(model), { context: model });
    if (!loaded) throw new Error(`The model ${model.uri} could not be loaded`);
    return loaded.detector;
  }

  /** The models held now, most recently used first (for tests and logs). */
  held(): string[] {
    return [...this.cache.keys()];
  }

  /** What the held models hold together. */
  heldBytes(): number {
    return this.cache.calculatedSize;
  }
}

/** One cache entry per model: where, what runs it, and which bytes (a re-pinned sha256 is another model). */
function keyOf(model: ModelSpec): string {
  return JSON.stringify([model.type, model.uri, model.sha256 ?? '']);
}

function specOfKey(key: string): ModelSpec {
  const [type, uri, sha256] = JSON.parse(key) as [ModelSpec['type'], string, string];
  return { type, uri, ...(sha256 ? { sha256 } : {}) };
}
