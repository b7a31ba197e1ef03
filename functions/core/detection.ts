/**
 * One anomaly label in Amazon Lookout for Vision's DetectAnomalies result shape.
 * `background` is the label of the normal area, as Lookout reports it.
 */
export interface DetectedAnomaly {
  Name: string;
  PixelAnomaly?: {
    /** Percentage (0–100) of the image's pixels covered by this anomaly label. */
    TotalPercentageArea: number;
    /** Hex colour of this label in the anomaly mask, e.g. "#FF0000". */
    Color: string;
  };
}

/**
 * The kinds of detector the product runs: its own embedded model, Lookout for Vision (ended), a SageMaker endpoint,
 * an anomalib-exported ONNX model run in the function.
 */
export type DetectorName = 'embedded' | 'lookoutvision' | 'sagemaker' | 'onnx';

/**
 * The verdict on one wafer image, in Lookout for Vision's DetectAnomalyResult shape,
 * whichever detector produced it, so the rest of the product does not care which is configured.
 */
export interface DetectionResult {
  IsAnomalous: boolean;
  /** Confidence in the verdict (IsAnomalous true or false), in [0, 1]. */
  Confidence: number;
  Anomalies: DetectedAnomaly[];
  /** PNG the same size as the input, anomalous pixels painted in their label's colour; absent when the detector gives none. */
  AnomalyMask?: Uint8Array;
  /** The image-level anomaly score the verdict came from (embedded and ONNX detectors; not in Lookout's API). */
  AnomalyScore?: number;
  /**
   * Which detector answered and which model version, for the record; `model` names the model (its file or endpoint,
   * as the station registry or the stage's settings give it).
   */
  Detector: { name: DetectorName; modelVersion: string; model?: string };
}
