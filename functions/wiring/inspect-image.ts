import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createLookoutVisionClient } from '../adapters/aws-clients';
import { createAlertAdapters, imageClaimsOf } from './place-call';
import { loadEmbeddedDetector } from '../adapters/embedded-detector';
import { SharpImageDecoder } from '../adapters/image-decoding/sharp-image-decoder';
import { LookoutVisionDetector } from '../adapters/lookout/lookout-vision-detector';
import type { Config } from '../config/environment';
import { getConfig } from '../config/environment';
import type { Detector } from '../core/ports/detector';
import { DetectorUnavailableError } from '../core/errors';
import type { InspectionDependencies } from '../core/inspect-wafer-image';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, inspectionMetrics, timedDetector, traced, type Observability } from '../adapters/observability/observability';
import { createStationDependencies } from './shared/stations';
import { createStoreDependencies, type StoreDependencies } from './shared/inspection-store';

/** Everything the inspect function uses, built once per container from the configuration. */
export interface AppDependencies extends StoreDependencies {
  /** The detector, loaded on first use and kept for the container's life (only the inspect function uses it). */
  detector: () => Promise<Detector>;
  inspection: Omit<InspectionDependencies, 'detector'>;
}

/**
 * Build the adapters the configuration names. Nothing here runs at import time, so tests can pass fakes instead.
 * With `observability`, the pipeline's records are counted as metrics and the detector is timed.
 */
export function createDependencies(config: Config, logger: Logger = createLogger(), observability?: Observability): AppDependencies {
  const storeDependencies = createStoreDependencies(config, logger);
  const { s3 } = storeDependencies;
  const { store } = storeDependencies;
  const { queue, alertState } = createAlertAdapters(config);
  const stations = createStationDependencies(config);
  let loading: Promise<Detector> | undefined;
  const detector = () => {
    loading ??= loadDetector(config, s3)
      .then((loaded) => (observability ? timedDetector(loaded, observability.metrics) : loaded))
      .catch((error: unknown) => {
      // Let the next request try again rather than keep a container whose model never loads.
      loading = undefined;
      logger.error('The anomaly detector could not be loaded', { error: String(error) });
      throw new DetectorUnavailableError('The anomaly detector could not be loaded; the image is kept and can be inspected later.');
    });
    return loading;
  };
  return {
    ...storeDependencies,
    detector,
    inspection: {
      store,
      alerts: queue,
      imageClaims: imageClaimsOf(alertState, config),
      alertPolicy: { confidenceThreshold: config.ALERT_CONFIDENCE_THRESHOLD, reviewThreshold: config.ALERT_REVIEW_THRESHOLD },
      ...(stations.uploadCheck ? { stations: stations.uploadCheck } : {}),
      stationCalls: { tryStartCall: (...args) => alertState.tryStartCall(...args), cooldownMs: config.STATION_CALL_COOLDOWN_SECONDS * 1000 },
      decoder: new SharpImageDecoder(),
      limits: { maxBytes: config.MAX_IMAGE_BYTES, minSide: config.MIN_IMAGE_SIDE, maxSide: config.MAX_IMAGE_SIDE },
      logger,
      ...(observability ? { events: inspectionMetrics(observability.metrics) } : {}),
    },
  };
}

async function loadDetector(config: Config, s3: S3Client): Promise<Detector> {
  if (config.DETECTOR === 'lookoutvision') {
    return new LookoutVisionDetector({
      client: traced(createLookoutVisionClient({ region: config.AWS_REGION, endpoint: config.LOOKOUT_ENDPOINT })),
      projectName: config.LOOKOUT_PROJECT_NAME!,
      modelVersion: config.LOOKOUT_MODEL_VERSION!,
    });
  }
  return loadEmbeddedDetector(await readModel(config.EMBEDDED_MODEL_URI, s3));
}

/** The embedded model's bytes from a file (relative to the working directory: /var/task in Lambda) or an s3:// URI. */
async function readModel(uri: string, s3: S3Client): Promise<Uint8Array> {
  const s3Uri = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3Uri) {
    const object = await s3.send(new GetObjectCommand({ Bucket: s3Uri[1], Key: s3Uri[2] }));
    if (!object.Body) throw new Error(`The embedded model ${uri} is empty`);
    return object.Body.transformToByteArray();
  }
  return readFile(isAbsolute(uri) ? uri : resolve(process.cwd(), uri));
}

let containerDependencies: AppDependencies | undefined;

/** This container's dependencies, built on first use from the parsed environment. */
export function getDependencies(): AppDependencies {
  const observability = getObservability();
  containerDependencies ??= createDependencies(getConfig(), observability.logger, observability);
  return containerDependencies;
}
