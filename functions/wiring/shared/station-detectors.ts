import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadEmbeddedDetector } from '../../adapters/embedded-detector';
import { loadOnnxDetector } from '../../adapters/onnx';
import { readModelBytes } from '../../adapters/embedded-detector/model-source';
import { DetectorCache, type LoadedDetector } from '../../adapters/model-cache/detector-cache';
import { namedDetector } from '../../adapters/model-cache/named-detector';
import { timedDetector, type Observability } from '../../adapters/observability/observability';
import type { Detector } from '../../core/ports/detector';
import type { ModelSpec } from '../../core/station-registry';
import { createSageMakerDetector, type DetectorConfig } from './detector';

/** What the stations' own models are built from: the stage's detector settings (region, endpoints) and the cache bound. */
export type StationDetectorsConfig = DetectorConfig & { MODEL_CACHE_MAX_MB: number };

/**
 * The detector of each station that names its own model in the registry, through one DetectorCache per container
 * (each model loaded once, the least recently used let go past MODEL_CACHE_MAX_MB). Every verdict names the model.
 */
export function createStationDetectors(
  config: StationDetectorsConfig,
  s3: S3Client,
  logger: Logger,
  observability?: Observability,
): (model: ModelSpec) => Promise<Detector> {
  const cache = new DetectorCache({
    maxBytes: config.MODEL_CACHE_MAX_MB * 1024 * 1024,
    load: async (model) => {
      const loaded = await loadStationModel(model, config, s3);
      const detector = namedDetector(loaded.detector, model.uri);
      return { detector: observability ? timedDetector(detector, observability.metrics) : detector, sizeBytes: loaded.sizeBytes };
    },
    onLoad: (model, sizeBytes) => logger.info("A station's model is loaded", { model: model.uri, type: model.type, sizeBytes }),
    onEvict: (model) => logger.info("A station's model is let go to stay within MODEL_CACHE_MAX_MB", { model: model.uri }),
  });
  return (model) => cache.detectorFor(model);
}

/** Load one model: read its bytes (checked against its pinned sha256) and build the detector its type names. */
export async function loadStationModel(model: ModelSpec, config: DetectorConfig, s3: S3Client): Promise<LoadedDetector> {
  if (model.type === 'sagemaker') {
    // Nothing held in memory but a client: the model runs on the endpoint.
    return { detector: await createSageMakerDetector({ ...config, SAGEMAKER_ENDPOINT_NAME: model.uri }), sizeBytes: 64 * 1024 };
  }
  const bytes = await readModelBytes(model.uri, s3);
  if (model.sha256) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== model.sha256)
      throw new Error(`The model ${model.uri} is not the one pinned (sha256 ${actual.slice(0, 12)}…, expected ${model.sha256.slice(0, 12)}…)`);
  }
  if (model.type === 'onnx') {
    // The session holds the graph and its weights and works in buffers about as large again.
    const detector = await loadOnnxDetector(bytes, {
      modelName: model.uri.split('/').pop() || model.uri,
      threshold: config.ONNX_THRESHOLD,
      normalization: config.ONNX_INPUT_NORMALIZATION,
    });
    return { detector, sizeBytes: bytes.byteLength * 3 };
  }
  // The file, decoded, and the search structures of its memory bank (its rows sorted by distance: 6 bytes per pair of
  // entries, 1.5 MB for a bank of 500), reserved at load in the search kernel's memory.
  const detector = loadEmbeddedDetector(bytes);
  return { detector, sizeBytes: bytes.byteLength + detector.residentBytes };
}
