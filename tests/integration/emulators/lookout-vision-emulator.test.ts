import { DetectAnomaliesCommand, ResourceNotFoundException, ValidationException, type LookoutVisionClient } from '@aws-sdk/client-lookoutvision';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLookoutVisionClient } from '../../../functions/adapters/lookout/lookout-vision-client';
import { imageFormatOf, LookoutVisionEmulator, validationProblem } from '../../../local/emulators/lookout-vision-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

// DetectAnomalies as the Lookout for Vision API reference documents it: ContentType "Valid values are image/png (PNG
// format images) and image/jpeg (JPG format images)", the body an image of that type, projectName 1–255 characters
// matching [a-zA-Z0-9][a-zA-Z0-9_\-]*, modelVersion 1–10 characters matching ([1-9][0-9]*|latest); anything else is
// ValidationException (400). Checked with the real SDK client from the factory the detector adapter uses.
const emulator = new LookoutVisionEmulator({
  models: [
    { projectName: 'waferwatch', modelVersion: '1', hosted: true },
    { projectName: 'waferwatch', modelVersion: '12', hosted: true },
    { projectName: 'Line_3-litho', modelVersion: '1', hosted: true },
  ],
});
let client: LookoutVisionClient;

async function detect(input: { ProjectName?: string; ModelVersion?: string; ContentType: string; Body: Uint8Array }) {
  return client.send(new DetectAnomaliesCommand({ ProjectName: 'waferwatch', ModelVersion: '1', ...input }));
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeAll(async () => {
  await emulator.start();
  client = createLookoutVisionClient({ region: 'us-east-1', endpoint: emulator.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await emulator.close();
});

describe('Lookout for Vision emulator: DetectAnomalies input validation', () => {
  it('answers PNG sent as image/png and JPEG sent as image/jpeg', async () => {
    // Prepare
    const png = await makeTestWaferImage({ format: 'png' });
    const jpeg = await makeTestWaferImage({ format: 'jpeg' });

    // Act
    const fromPng = await detect({ ContentType: 'image/png', Body: png.bytes });
    const fromJpeg = await detect({ ContentType: 'image/jpeg', Body: jpeg.bytes });

    // Assess
    expect(fromPng.DetectAnomalyResult?.IsAnomalous).toBe(false);
    expect(fromJpeg.DetectAnomalyResult?.IsAnomalous).toBe(false);
  });

  it('refuses GIF, WebP and TIFF bytes with ValidationException, whatever content type they are sent as', async () => {
    // Prepare
    const base = sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 90, g: 90, b: 100 } } });
    const others = {
      gif: await base.clone().gif().toBuffer(),
      webp: await base.clone().webp().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
    };
    const verdictsBefore = emulator.detectionCalls().length;

    // Act
    const answers = await Promise.all(
      Object.entries(others).flatMap(([format, bytes]) => [
        caught(detect({ ContentType: `image/${format}`, Body: bytes })),
        caught(detect({ ContentType: 'image/png', Body: bytes })),
        caught(detect({ ContentType: 'image/jpeg', Body: bytes })),
      ]),
    );

    // Assess
    expect(answers).toHaveLength(9);
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(ValidationException);
      expect((answer as ValidationException).$metadata.httpStatusCode).toBe(400);
    }
    expect(emulator.detectionCalls()).toHaveLength(verdictsBefore);
  });

  it('refuses a content type that does not match the bytes: JPEG sent as image/png and PNG sent as image/jpeg', async () => {
    // Prepare
    const png = await makeTestWaferImage({ format: 'png' });
    const jpeg = await makeTestWaferImage({ format: 'jpeg' });

    // Act
    const jpegAsPng = await caught(detect({ ContentType: 'image/png', Body: jpeg.bytes }));
    const pngAsJpeg = await caught(detect({ ContentType: 'image/jpeg', Body: png.bytes }));

    // Assess
    expect(jpegAsPng).toBeInstanceOf(ValidationException);
    expect((jpegAsPng as Error).message).toMatch(/image\/png was declared, the bytes are image\/jpeg/);
    expect(pngAsJpeg).toBeInstanceOf(ValidationException);
  });

  it('takes model versions matching ([1-9][0-9]*|latest) and project names matching [a-zA-Z0-9][a-zA-Z0-9_\\-]*, and refuses others before looking them up', async () => {
    // Prepare
    const png = (await makeTestWaferImage()).bytes;
    const attempt = (ProjectName: string, ModelVersion: string) => caught(detect({ ProjectName, ModelVersion, ContentType: 'image/png', Body: png }));
    const verdictsBefore = emulator.detectionCalls().length;

    // Act
    const latest = await attempt('waferwatch', 'latest');
    const twelve = await attempt('waferwatch', '12');
    const otherProject = await attempt('Line_3-litho', '1');
    const refused = await Promise.all([
      attempt('waferwatch', '0'),
      attempt('waferwatch', '01'),
      attempt('waferwatch', 'v1'),
      attempt('waferwatch', 'LATEST'),
      attempt('waferwatch', '12345678901'),
      attempt('-waferwatch', '1'),
      attempt('_waferwatch', '1'),
      attempt('wafer.watch', '1'),
      attempt('x'.repeat(256), '1'),
    ]);
    const unknownButValid = await attempt('waferwatch', '3');

    // Assess
    expect([latest, twelve, otherProject]).toEqual([undefined, undefined, undefined]);
    // Newest first: Line_3-litho/1, waferwatch/12, and waferwatch/latest, which is the highest version, 12.
    expect(
      emulator
        .detectionCalls()
        .slice(0, 3)
        .map((call) => `${call.projectName}/${call.modelVersion}`),
    ).toEqual(['Line_3-litho/1', 'waferwatch/12', 'waferwatch/12']);
    expect(emulator.detectionCalls()).toHaveLength(verdictsBefore + 3);
    for (const answer of refused) expect(answer).toBeInstanceOf(ValidationException);
    expect((refused[2] as Error).message).toBe(
      "1 validation error detected: Value 'v1' at 'modelVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([1-9][0-9]*|latest)",
    );
    expect(unknownButValid).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('Lookout for Vision emulator: the checks as functions', () => {
  it('tells PNG and JPEG apart by their signatures and names nothing else', async () => {
    // Prepare
    const png = (await makeTestWaferImage({ format: 'png' })).bytes;
    const jpeg = (await makeTestWaferImage({ format: 'jpeg' })).bytes;

    // Act + Assess
    expect(imageFormatOf(png)).toBe('image/png');
    expect(imageFormatOf(jpeg)).toBe('image/jpeg');
    expect(imageFormatOf(Buffer.from('GIF89a'))).toBeUndefined();
    expect(imageFormatOf(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(imageFormatOf(new Uint8Array())).toBeUndefined();
  });

  it('reports both a project name and a model version that break their constraints', () => {
    // Act + Assess
    expect(validationProblem('waferwatch', '1')).toBeUndefined();
    expect(validationProblem('a'.repeat(255), 'latest')).toBeUndefined();
    expect(validationProblem('-x', '0')).toMatch(/^2 validation errors detected: Value '-x' at 'projectName'.*; Value '0' at 'modelVersion'/);
  });
});
