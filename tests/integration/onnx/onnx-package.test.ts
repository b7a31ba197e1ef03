import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, extractBundles, listZipEntries, packagedService } from '../../helpers/packaged-template';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

/*
 * onnxruntime-node in the packages (`npm run package`, serverless.yml custom.esbuild): kept external like sharp,
 * installed for Lambda's platform, every binary folder but linux/arm64 deleted, and carried only by the two functions
 * that inspect wafers, which import it on first use when DETECTOR=onnx.
 */
const INSPECTING = ['inspectImage', 'processCameraUpload'] as const;
const OTHERS = ['getInspection', 'listInspections', 'listStations', 'createUpload', 'placeCall', 'recordDecision', 'contactEvents', 'authorizeRequest'];
const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6/';

beforeAll(async () => {
  await packagedService();
}, 600_000);

const entriesOf = async (name: string) => listZipEntries(path.join(artifactsDir, `${name}.zip`));

describe('onnxruntime-node in the function packages', () => {
  it.each(INSPECTING)('ships its JS and only its linux/arm64 CPU binaries in %s, within the 250 MB unzipped limit', async (name) => {
    // Act
    const entries = await entriesOf(name);
    const names = entries.map((entry) => entry.name);

    // Assess
    expect(names).toEqual(expect.arrayContaining(['node_modules/onnxruntime-node/package.json', 'node_modules/onnxruntime-node/dist/index.js']));
    expect(names).toContain('node_modules/onnxruntime-common/package.json');
    const binaries = names.filter((entry) => entry.startsWith(ORT_BIN)).sort();
    expect(binaries).toEqual([`${ORT_BIN}linux/arm64/libonnxruntime.so.1`, `${ORT_BIN}linux/arm64/onnxruntime_binding.node`]);
    expect(names.filter((entry) => /\.(dylib|dll)$/.test(entry))).toEqual([]);
    const unzipped = entries.reduce((total, entry) => total + entry.uncompressedSize, 0);
    expect(unzipped).toBeLessThan(100 * 1024 * 1024);
  });

  it.each(OTHERS)('leaves it out of %s, which never runs a detector', async (name) => {
    // Act
    const names = (await entriesOf(name)).map((entry) => entry.name);

    // Assess
    expect(names.filter((entry) => entry.includes('onnxruntime'))).toEqual([]);
  });

  it('loads it only on first use: the inspect bundle imports it dynamically, never at cold start', async () => {
    // Prepare
    const workDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-onnx-bundle-'));
    try {
      await extractBundles(path.join(artifactsDir, 'inspectImage.zip'), ['functions/handlers/inspect-image.mjs'], workDir);

      // Act
      const bundle = await readFile(path.join(workDir, 'functions/handlers/inspect-image.mjs'), 'utf8');

      // Assess
      expect(bundle).toContain('import("onnxruntime-node")');
      expect(bundle).not.toMatch(/from\s*["']onnxruntime-node["']/);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
