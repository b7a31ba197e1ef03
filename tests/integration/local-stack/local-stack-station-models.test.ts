import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainWaferModel } from '../../../detector/training';
import { encodeModelFile } from '../../../functions/adapters/embedded-detector/model-file';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';

const GOOD = path.resolve(__dirname, '../../../samples/wafer-photos/good');

/** Another product: the same wafers under a recoloured coating (hue turned by 120°). */
async function recoloured(file: string): Promise<Buffer> {
  return sharp(await readFile(path.join(GOOD, file)))
    .modulate({ hue: 120 })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * Issue 14: `npm start` with a STATIONS_FILE that gives two stations different models serves each with its own, and the
 * records say which. litho-1 keeps the stage's default model; coat-2 names a model trained (here, quickly) on the
 * recoloured product.
 */
describe('local stack with a model per station', () => {
  let folder: string;
  let stack: LocalStack;
  let coatModel: string;
  let photos: string[];

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-models-'));
    photos = (await readdir(GOOD)).filter((file) => file.endsWith('.jpg')).sort();
    const training = await Promise.all(photos.slice(0, 6).map(async (name) => ({ name, bytes: await recoloured(name) })));
    // Fewer drift copies than the shipped model: this test is about which model judges, not about drift.
    const { model } = await trainWaferModel(training, { bankPerturbations: [], calibrationPerturbations: [], createdAt: '2026-11-30T00:00:00Z' });
    coatModel = path.join(folder, 'coat-2.wwm');
    await writeFile(coatModel, encodeModelFile(model));
    const stations = {
      stations: [
        { id: 'litho-1', name: 'Litho one', escalation: [{ name: 'Line operator', phone: '+15555550100' }] },
        { id: 'coat-2', name: 'Coater two', escalation: [{ name: 'Line operator', phone: '+15555550101' }], model: coatModel },
      ],
    };
    await writeFile(path.join(folder, 'stations.json'), JSON.stringify(stations));
    stack = await startLocalStack({
      port: 0,
      dataDir: path.join(folder, '.data'),
      env: { POWERTOOLS_LOG_LEVEL: 'WARN', WAFERWATCH_AUTH: 'off', STATIONS_FILE: path.join(folder, 'stations.json') },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const inspect = async (bytes: Buffer, station: string) => {
    const response = await fetch(`${stack.url}/inspections?station=${station}`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: bytes });
    expect(response.status).toBe(201);
    return (await response.json()) as { status: string; detection: { Detector: { name: string; modelVersion: string; model?: string } } };
  };

  it("judges each station's wafers with its own model and names the model on every record", async () => {
    // Act: recoloured wafers not used in training, one to each station.
    const coat = await inspect(await recoloured(photos[6]!), 'coat-2');
    const litho = await inspect(await recoloured(photos[7]!), 'litho-1');

    // Assess: the coater's model knows its product; the default model, trained on the other coating, does not.
    expect(coat.detection.Detector.model).toBe(coatModel);
    expect(coat.status).toBe('normal');
    expect(litho.detection.Detector.model).toBe('models/wafer-default.wwm');
    expect(litho.status).not.toBe('normal');
    expect(coat.detection.Detector.modelVersion).not.toBe(litho.detection.Detector.modelVersion);
  });
});
