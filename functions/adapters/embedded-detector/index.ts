export { EmbeddedDetector, loadEmbeddedDetector, readEmbeddedDetector, ANOMALY_LABEL } from './embedded-detector';
export { ModelFileError, MODEL_FORMAT_VERSION, type WaferModel } from './model-file';
