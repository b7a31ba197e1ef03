import { LookoutVisionClient } from '@aws-sdk/client-lookoutvision';
import { commonConfig, LOOKOUT_REQUEST_TIMEOUT_MS, type AwsClientOptions } from '../aws-clients';

/** Lookout for Vision client for DetectAnomalies (a module of its own: loaded only where DETECTOR=lookoutvision). */
export function createLookoutVisionClient(options: AwsClientOptions): LookoutVisionClient {
  return new LookoutVisionClient(commonConfig(options, LOOKOUT_REQUEST_TIMEOUT_MS));
}
