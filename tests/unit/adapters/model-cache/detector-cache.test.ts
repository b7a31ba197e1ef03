import { describe, expect, it } from 'vitest';
import { DetectorCache } from '../../../../functions/adapters/model-cache/detector-cache';
import { namedDetector } from '../../../../functions/adapters/model-cache/named-detector';
import type { ModelSpec } from '../../../../functions/core/station-registry';
import { ScriptedDetector, verdict } from '../../../fixtures/fakes';

const MB = 1024 * 1024;
const model = (uri: string, sha256?: string): ModelSpec => ({ uri, type: 'embedded', ...(sha256 ? { sha256 } : {}) });

/** A cache over a loader that counts its loads; each model is `sizes[uri]` MB. */
function cacheWith(sizes: Record<string, number>, maxMb: number) {
  const loads: string[] = [];
  const evicted: string[] = [];
  const cache = new DetectorCache({
    maxBytes: maxMb * MB,
    load: async (spec) => {
      loads.push(spec.uri);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (!(spec.uri in sizes)) throw new Error(`no model ${spec.uri}`);
      return { detector: new ScriptedDetector(() => verdict(false, 0.9)), sizeBytes: sizes[spec.uri]! * MB };
    },
    onEvict: (spec) => evicted.push(spec.uri),
  });
  return { cache, loads, evicted };
}

describe('DetectorCache: each model loaded once, within a memory bound', () => {
  it('loads a model once however many stations ask for it at once, and answers the same detector after', async () => {
    const { cache, loads } = cacheWith({ 'a.wwm': 10 }, 100);

    const detectors = await Promise.all(Array.from({ length: 8 }, () => cache.detectorFor(model('a.wwm'))));
    const later = await cache.detectorFor(model('a.wwm'));

    expect(loads).toEqual(['a.wwm']);
    expect(new Set([...detectors, later]).size).toBe(1);
  });

  it('lets the least recently used model go when the next one would pass the bound, and loads it again when asked', async () => {
    const { cache, loads, evicted } = cacheWith({ 'a.wwm': 40, 'b.wwm': 40, 'c.wwm': 40 }, 100);

    await cache.detectorFor(model('a.wwm'));
    await cache.detectorFor(model('b.wwm'));
    await cache.detectorFor(model('a.wwm')); // a is now the most recently used
    await cache.detectorFor(model('c.wwm')); // 120 MB > 100: b goes
    await cache.detectorFor(model('b.wwm')); // loaded again; a goes now

    expect(evicted).toEqual(['b.wwm', 'a.wwm']);
    expect(loads).toEqual(['a.wwm', 'b.wwm', 'c.wwm', 'b.wwm']);
    expect(cache.heldBytes()).toBeLessThanOrEqual(100 * MB);
    expect(cache.held()).toHaveLength(2);
  });

  it('treats a re-pinned sha256 as another model, and keeps no failed load', async () => {
    const { cache, loads } = cacheWith({ 'a.wwm': 1 }, 100);

    await cache.detectorFor(model('a.wwm', 'a'.repeat(64)));
    await cache.detectorFor(model('a.wwm', 'b'.repeat(64)));
    await expect(cache.detectorFor(model('missing.wwm'))).rejects.toThrow('no model missing.wwm');
    await expect(cache.detectorFor(model('missing.wwm'))).rejects.toThrow('no model missing.wwm');

    expect(loads).toEqual(['a.wwm', 'a.wwm', 'missing.wwm', 'missing.wwm']);
  });

  it('still answers with a model larger than the whole bound, without keeping it', async () => {
    const { cache, loads } = cacheWith({ 'huge.onnx': 500 }, 100);

    await cache.detectorFor(model('huge.onnx'));
    await cache.detectorFor(model('huge.onnx'));

    expect(loads).toEqual(['huge.onnx', 'huge.onnx']);
    expect(cache.heldBytes()).toBe(0);
  });
});

describe('namedDetector', () => {
  it("puts the model's name on every verdict, beside the detector's own version", async () => {
    const detector = namedDetector(new ScriptedDetector(() => verdict(true, 0.8)), 'models/litho.wwm');
    const result = await detector.detect({} as never);
    expect(result.Detector).toMatchObject({ model: 'models/litho.wwm' });
  });
});
