import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { detectorConfig } from '../../../../functions/config/detector';
import { parseEnvironment } from '../../../../functions/config/environment';
import { regionConfig } from '../../../../functions/config/region';
import { loadStationModel } from '../../../../functions/wiring/shared/station-detectors';

describe('loadStationModel', () => {
  it("counts an embedded model at what it holds, its bank's sorted rows among it, for the cache's memory bound", async () => {
    // Prepare: the shipped model (a bank of 500 entries), read from the project as a station's path names it.
    const config = parseEnvironment([regionConfig, detectorConfig], { AWS_REGION: 'us-east-1' });
    const fileBytes = readFileSync('models/wafer-default.wwm').byteLength;

    // Act
    const loaded = await loadStationModel({ uri: 'models/wafer-default.wwm', type: 'embedded' }, config, new S3Client({ region: 'us-east-1' }));

    // Assess: the file, plus 6 bytes per pair of bank entries (a row of distances and of indices each).
    expect(loaded.sizeBytes).toBeGreaterThanOrEqual(fileBytes + 500 * 500 * 6);
    expect(loaded.sizeBytes).toBeLessThan(fileBytes + 4 * 1024 * 1024);
  });
});
