import { alertPolicyConfig } from '../../config/alert-policy';
import { alertQueueConfig } from '../../config/alert-queue';
import { alertStateConfig, imageDedupeConfig } from '../../config/alert-state';
import { stationCooldownConfig } from '../../config/call-policy';
import { detectorConfig } from '../../config/detector';
import { modelCacheConfig } from '../../config/model-cache';
import { stationRegistryConfig } from '../../config/station-registry';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import { SharpImageDecoder } from '../../adapters/image-decoding/sharp-image-decoder';
import { inspectionMetrics, type Observability } from '../../adapters/observability/observability';
import type { S3InspectionStore } from '../../adapters/s3/s3-inspection-store';
import type { ConfigOf } from '../../config/environment';
import type { InspectionDependencies } from '../../core/inspect-wafer-image';
import type { Detector } from '../../core/ports/detector';
import type { WaferImageLimits } from '../../core/validate-wafer-image';
import { createAlertPublisher, createAlertStateStores } from './alerting';
import { createDetectorLoader } from './detector';
import { createStationDetectors, type StationDetectorsConfig } from './station-detectors';
import { createInspectionStore, type InspectionStoreConfig } from './inspection-store';
import { uploadStationCheck, type StationRegistryConfig } from './station-registry';

/**
 * The configuration fragments of the inspection pipeline, beside the bucket, region and image limits each inspecting
 * function lists itself (inspect-image, process-camera-upload): one list, so the two never read different settings.
 */
export const INSPECTION_PIPELINE_FRAGMENTS = [
  detectorConfig,
  alertPolicyConfig,
  alertQueueConfig,
  alertStateConfig,
  imageDedupeConfig,
  stationCooldownConfig,
  stationRegistryConfig,
  modelCacheConfig,
] as const;

/** What the inspection pipeline is built from, in both functions that run it (inspect-image, process-camera-upload). */
export type InspectionPipelineConfig = InspectionStoreConfig &
  StationDetectorsConfig &
  StationRegistryConfig &
  ConfigOf<typeof alertPolicyConfig> &
  ConfigOf<typeof alertQueueConfig> &
  ConfigOf<typeof alertStateConfig> &
  ConfigOf<typeof imageDedupeConfig> &
  ConfigOf<typeof stationCooldownConfig>;

/** The inspection pipeline's adapters: the store (and its S3 client), the detector loader and the rest of its dependencies. */
export interface InspectionPipeline {
  s3: S3Client;
  store: S3InspectionStore;
  /** The detector, loaded on first use and kept for the container's life. */
  detector: () => Promise<Detector>;
  inspection: Omit<InspectionDependencies, 'detector'>;
}

/**
 * Build what inspecting a wafer image talks to, for images within `limits`. Nothing here runs at import time, so tests
 * can build it from their own configuration. With `observability`, the pipeline's records are counted as metrics and
 * the detector is timed.
 */
export function createInspectionPipeline(
  config: InspectionPipelineConfig,
  limits: WaferImageLimits,
  logger: Logger,
  observability?: Observability,
): InspectionPipeline {
  const { s3, store } = createInspectionStore(config);
  const { dynamoDb, alertState } = createAlertStateStores(config);
  const stations = uploadStationCheck(config, dynamoDb);
  return {
    s3,
    store,
    detector: createDetectorLoader(config, s3, logger, observability),
    inspection: {
      store,
      // A station naming its own model in the registry is judged by it (each loaded once, kept within MODEL_CACHE_MAX_MB).
      ...(stations ? { detectorFor: createStationDetectors(config, s3, logger, observability) } : {}),
      alerts: createAlertPublisher(config),
      imageClaims: {
        claim: (sha256, inspectionId) => alertState.claimImage(sha256, inspectionId, config.IMAGE_DEDUPE_TTL_SECONDS),
        release: (sha256, inspectionId) => alertState.releaseImage(sha256, inspectionId),
      },
      alertPolicy: { confidenceThreshold: config.ALERT_CONFIDENCE_THRESHOLD, reviewThreshold: config.ALERT_REVIEW_THRESHOLD },
      ...(stations ? { stations } : {}),
      stationCalls: { tryStartCall: (...args) => alertState.tryStartCall(...args), cooldownMs: config.STATION_CALL_COOLDOWN_SECONDS * 1000 },
      decoder: new SharpImageDecoder(),
      limits,
      logger,
      ...(observability ? { events: inspectionMetrics(observability.metrics) } : {}),
    },
  };
}
