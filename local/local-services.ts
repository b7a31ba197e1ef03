import { readFile } from 'node:fs/promises';
import { maskPhoneNumber } from '../functions/core/phone-number';
import path from 'node:path';
import { startAlertServices, type AlertServices } from './alert-services';
import { ConnectEmulator, type EmulatedCall } from './emulators/connect-emulator';
import { LookoutVisionEmulator } from './emulators/lookout-vision-emulator';
import { detectorJudge, SageMakerRuntimeEmulator } from './emulators/sagemaker-runtime-emulator';
import { loadEmbeddedDetector } from '../functions/adapters/embedded-detector';
import type { S3Event } from 'aws-lambda';
import { startS3Emulator, type S3Emulator } from './emulators/s3-emulator';
import { NOTIFIED_PREFIX } from './camera-upload-notifications';

/** The bucket the local stack stores images and records in. */
export const LOCAL_IMAGE_BUCKET = 'waferwatch-local-images';
/** The model the Lookout for Vision emulator hosts when DETECTOR=lookoutvision locally. */
export const LOCAL_LOOKOUT_PROJECT = 'waferwatch';
export const LOCAL_LOOKOUT_MODEL_VERSION = '1';
/** The endpoint the SageMaker Runtime emulator hosts when DETECTOR=sagemaker locally. */
export const LOCAL_SAGEMAKER_ENDPOINT = 'waferwatch-defects';
/**
 * The Amazon Connect instance and contact flow the local stack's handlers are configured with (CONNECT_INSTANCE_ID,
 * CONNECT_CONTACT_FLOW_ID). The Connect emulator knows only these: a call for another instance or flow gets
 * ResourceNotFoundException, as Amazon Connect answers it.
 */
export const LOCAL_CONNECT_INSTANCE_ID = '00000000-0000-4000-8000-00000000c0de';
export const LOCAL_CONNECT_CONTACT_FLOW_ID = '00000000-0000-4000-8000-0000000f1ca0';

/** A placed call as `GET /_local/calls` shows it: the destination masked, as in the product's logs. */
export interface LocalCallView {
  contactId: string;
  destination: string;
  attributes: Record<string, string>;
  clientToken: string;
  createdAt: string;
  updatedAt: string;
  status: string;
  decision: unknown;
  /** When it was answered, when it ended and Amazon Connect's disconnect reason, once known. */
  answeredAt?: string;
  endedAt?: string;
  disconnectReason?: string;
}

/** The stand-ins for AWS services, running in this process. */
export interface LocalServices {
  bucket: string;
  s3Endpoint: string;
  s3Directory: string;
  connectEndpoint: string;
  /** The only instance and contact flow the Connect emulator accepts calls for. */
  connectInstanceId: string;
  connectContactFlowId: string;
  lookoutEndpoint?: string;
  lookoutProjectName?: string;
  lookoutModelVersion?: string;
  /** The SageMaker Runtime emulator and the endpoint it hosts (DETECTOR=sagemaker). */
  sageMakerEndpoint?: string;
  sageMakerEndpointName?: string;
  /** The Connect emulator itself, for the phone panel's operator actions. */
  connect: ConnectEmulator;
  /** The alert queue (SQS emulator) and the alert state table (dynalite). */
  alerts: AlertServices;
  /** Placed calls, newest first. */
  calls(): LocalCallView[];
  close(): Promise<void>;
}

/** The page shows numbers as the records do: masked (functions/core/phone-number.ts). */
export { maskPhoneNumber };

/** One emulated call as the page sees it. */
export function callView(call: EmulatedCall): LocalCallView {
  return {
    contactId: call.contactId,
    destination: maskPhoneNumber(call.destinationPhoneNumber),
    attributes: { ...call.attributes },
    clientToken: call.clientToken,
    createdAt: call.startedAt,
    updatedAt: call.updatedAt,
    status: call.status,
    decision: call.decision ?? null,
    ...(call.answeredAt ? { answeredAt: call.answeredAt } : {}),
    ...(call.endedAt ? { endedAt: call.endedAt } : {}),
    ...(call.disconnectReason ? { disconnectReason: call.disconnectReason } : {}),
  };
}

/**
 * Start s3rver (data kept under `dataDir/s3`), the Connect emulator, the alert queue and state table (kept under
 * `dataDir/alert-state`, with the station registry table when asked) and, when asked, the Lookout for Vision emulator.
 */
export async function startLocalServices(options: {
  dataDir: string;
  withLookoutVision: boolean;
  /**
   * Start the SageMaker Runtime emulator (DETECTOR=sagemaker), its endpoint answering with the embedded detector and
   * this model file, so the local stack's SageMaker path gives real verdicts.
   */
  withSageMaker?: { modelFile: string };
  /** S3 event notifications of the bucket's `incoming/` keys (s3rver's, one record each), for the camera upload path. */
  onS3Event?: (event: S3Event) => void;
  /** A call nobody answers ends as no-answer after this long (the Connect emulator's default when unset: 30 s). */
  ringTimeoutMs?: number;
  /** The region in the Connect emulator's contact event ARNs; default us-east-1. */
  region?: string;
  /** Also create the station registry table beside the alert state table. */
  stationRegistry?: boolean;
  /** The Connect instance and contact flow the emulator accepts; default LOCAL_CONNECT_INSTANCE_ID and LOCAL_CONNECT_CONTACT_FLOW_ID. */
  connectInstanceId?: string;
  connectContactFlowId?: string;
}): Promise<LocalServices> {
  const started: Array<{ close(): Promise<void> }> = [];
  // s3rver starts in a worker thread of its own (see emulators/s3-emulator.ts), meanwhile the others start here.
  const s3Options = { buckets: [LOCAL_IMAGE_BUCKET], directory: path.join(options.dataDir, 's3') };
  const s3Starting = startS3Emulator({ ...s3Options, onEvent: options.onS3Event, notifyPrefix: NOTIFIED_PREFIX }).then((s3) => {
    started.push(s3);
    return s3;
  });
  // Awaited below (or its failure ignored after another one): never an unhandled rejection meanwhile.
  s3Starting.catch(() => undefined);
  try {
    const connectInstanceId = options.connectInstanceId ?? LOCAL_CONNECT_INSTANCE_ID;
    const connectContactFlowId = options.connectContactFlowId ?? LOCAL_CONNECT_CONTACT_FLOW_ID;
    const connect = new ConnectEmulator({
      instanceId: connectInstanceId,
      contactFlowId: connectContactFlowId,
      ...(options.ringTimeoutMs !== undefined ? { ringTimeoutMs: options.ringTimeoutMs } : {}),
      ...(options.region ? { region: options.region } : {}),
    });
    const connectEndpoint = await connect.start();
    started.push(connect);
    // Kept beside the images, so a restarted stack still knows which images it has inspected and called about.
    const alerts = await startAlertServices({ dataDir: options.dataDir, stationRegistry: options.stationRegistry === true });
    started.push(alerts);
    let lookoutEndpoint: string | undefined;
    if (options.withLookoutVision) {
      const lookout = new LookoutVisionEmulator({ models: [{ projectName: LOCAL_LOOKOUT_PROJECT, modelVersion: LOCAL_LOOKOUT_MODEL_VERSION, hosted: true }] });
      lookoutEndpoint = await lookout.start();
      started.push(lookout);
    }
    let sageMakerEndpoint: string | undefined;
    if (options.withSageMaker) {
      const detector = loadEmbeddedDetector(await readFile(options.withSageMaker.modelFile));
      const sageMaker = new SageMakerRuntimeEmulator({ endpoints: [{ name: LOCAL_SAGEMAKER_ENDPOINT }], judge: detectorJudge(detector) });
      sageMakerEndpoint = await sageMaker.start();
      started.push(sageMaker);
    }
    const s3: S3Emulator = await s3Starting;
    return {
      bucket: LOCAL_IMAGE_BUCKET,
      s3Endpoint: s3.endpoint,
      s3Directory: s3.directory,
      connectEndpoint,
      connectInstanceId,
      connectContactFlowId,
      ...(lookoutEndpoint ? { lookoutEndpoint, lookoutProjectName: LOCAL_LOOKOUT_PROJECT, lookoutModelVersion: LOCAL_LOOKOUT_MODEL_VERSION } : {}),
      ...(sageMakerEndpoint ? { sageMakerEndpoint, sageMakerEndpointName: LOCAL_SAGEMAKER_ENDPOINT } : {}),
      connect,
      alerts,
      calls: () => connect.calls().map(callView),
      close: () => closeAll(started),
    };
  } catch (error) {
    // Whether s3rver started or not, it is in `started` once its start has settled.
    await s3Starting.catch(() => undefined);
    await closeAll(started);
    throw error;
  }
}

async function closeAll(services: Array<{ close(): Promise<void> }>): Promise<void> {
  // Newest first, and every one even if another fails.
  const results = await Promise.allSettled([...services].reverse().map((service) => service.close()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
