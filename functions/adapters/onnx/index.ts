export {
  OnnxDetector,
  loadOnnxDetector,
  onnxModelVersion,
  anomalyProbability,
  ANOMALY_LABEL,
  PIXEL_THRESHOLD,
  type OnnxDetectorOptions,
} from './onnx-detector';
export { OnnxModelError, readModelSignature, type ImageSize, type OnnxModelSignature } from './onnx-model-signature';
export type { InputNormalization, OnnxInputImage } from './onnx-input';
