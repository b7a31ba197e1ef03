import type { DetectionResult } from '../detection';
import type { ValidatedWaferImage } from '../wafer-image';

/** The port every anomaly detector implements. */
export interface Detector<Prepared = unknown> {
  /**
   * Optional: decode the image the way this detector reads it. The pipeline calls it before anything
   * is stored, as the image's decode check (it must reject truncated or corrupt pixel data with
   * CorruptImageError), and hands the result to detect(), so a wafer image is decoded only once.
   */
  prepare?(image: ValidatedWaferImage): Promise<Prepared>;
  /**
   * Decide whether the wafer in the image is anomalous, from `prepared` when prepare() gave it.
   * Throws DetectorUnavailableError when the detector cannot answer (after its own retries).
   */
  detect(image: ValidatedWaferImage, prepared?: Prepared): Promise<DetectionResult>;
}
