import type { Detector } from '../../core/ports/detector';

/** The same detector, its verdicts naming `model` (the file or endpoint it was given as), so the record says which model judged. */
export function namedDetector<Prepared>(detector: Detector<Prepared>, model: string): Detector<Prepared> {
  return {
    ...(detector.prepare ? { prepare: (image) => detector.prepare!(image) } : {}),
    async detect(image, prepared) {
      const result = await detector.detect(image, prepared);
      return { ...result, Detector: { ...result.Detector, model } };
    },
  };
}
