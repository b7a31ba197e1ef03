import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeedbackSource, readFeedbackNormals } from '../../../detector/feedback';
import { createS3Client } from '../../../functions/adapters/aws-clients';
import { decodeModelFile } from '../../../functions/adapters/embedded-detector/model-file';
import { feedbackKey } from '../../../functions/core/inspection-keys';
import { startS3Emulator, type S3Emulator } from '../../../local/emulators/s3-emulator';
import { sample } from '../../unit/adapters/embedded-detector/helpers';
import { runProjectCommand, type CommandResult } from '../../helpers/project-command';

// `npm run train -- --include-feedback s3://…/feedback/<station>/normal/` reads the station's labelled normals (kept
// by the product where feedbackKey says) from s3rver with the real S3 client; `--target-false-call-rate` sets the
// threshold on held-out normals and prints it with its estimate.
const BUCKET = 'waferwatch-feedback-test-images';
const IDS = ['01KMB6Z0N7Q9TS7W9M2J8VQ3CA', '01KMB6Z0N7Q9TS7W9M2J8VQ3CB', '01KMB6Z0N7Q9TS7W9M2J8VQ3CC'];

let emulator: S3Emulator;
let s3: S3Client;
let directory: string;
let normalDir: string;

function train(args: string[]): Promise<CommandResult> {
  return runProjectCommand('detector/train.ts', args);
}

beforeAll(async () => {
  emulator = await startS3Emulator({ buckets: [BUCKET] });
  s3 = createS3Client({ region: 'us-east-1', endpoint: emulator.endpoint });
  // What the product keeps: two wafers labelled normal (a kept-manufacturing call, a review), one labelled anomalous,
  // and another station's normal.
  const put = (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'image/jpeg' }));
  await put(feedbackKey('litho-3', 'normal', IDS[0]!, 'image/jpeg'), sample('good', 'smuged.jpg'));
  await put(feedbackKey('litho-3', 'normal', IDS[1]!, 'image/jpeg'), sample('good', '120_wafer.jpg'));
  await put(feedbackKey('litho-3', 'anomalous', IDS[2]!, 'image/jpeg'), sample('anomalous', 'scratch.jpg'));
  await put(feedbackKey('etch-1', 'normal', IDS[2]!, 'image/jpeg'), sample('good', 'blurred.jpg'));
  directory = await mkdtemp(path.join(tmpdir(), 'waferwatch-train-feedback-'));
  normalDir = path.join(directory, 'good');
  await mkdir(normalDir);
  for (const name of ['wafer.jpg', 'dodged.jpg', '90_blurred.jpg']) await writeFile(path.join(normalDir, name), sample('good', name));
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('training from answers', () => {
  it("reads only the station's labelled normals from the bucket", async () => {
    // Prepare
    const source = parseFeedbackSource(`s3://${BUCKET}/feedback/litho-3/`);

    // Act
    const images = await readFeedbackNormals(source, { s3 });
    const newest = await readFeedbackNormals(source, { s3, limit: 1 });

    // Assess
    expect(images.map((image) => image.name)).toEqual([`feedback/${IDS[0]}.jpg`, `feedback/${IDS[1]}.jpg`]);
    expect(Buffer.from(images[0]!.bytes).equals(sample('good', 'smuged.jpg'))).toBe(true);
    expect(newest).toHaveLength(1);
  });

  it('npm run train -- --include-feedback s3://… --target-false-call-rate trains on both and prints the threshold with its estimate', async () => {
    // Prepare
    const out = path.join(directory, 'litho-3.wwm');

    // Act
    const run = await train([
      '--normal',
      normalDir,
      '--out',
      out,
      '--bank-size',
      '100',
      '--include-feedback',
      `s3://${BUCKET}/feedback/litho-3/normal/`,
      '--s3-endpoint',
      emulator.endpoint,
      '--target-false-call-rate',
      '0.35',
    ]);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Labelled normals from s3://${BUCKET}/feedback/litho-3/normal/: 2`);
    expect(run.stdout).toContain('Training on 5 normal images');
    const model = decodeModelFile(await readFile(out));
    expect(model.provenance.images.map((image) => image.name)).toEqual([
      '90_blurred.jpg',
      'dodged.jpg',
      'wafer.jpg',
      `feedback/${IDS[0]}.jpg`,
      `feedback/${IDS[1]}.jpg`,
    ]);
    // (k + 1) / 6 ≤ 35 % → k = 1: the second highest of the five held-out images' scores; one of them called.
    const printed = /Threshold ([\d.]+) set for a false-call rate of 35 % on held-out normals \(leave-one-out/.exec(run.stdout);
    expect(printed).not.toBeNull();
    expect(Number(printed![1])).toBeCloseTo(model.threshold, 3);
    expect(run.stdout).toMatch(/1\/5 held-out normals called: estimated false-call rate 33 % on average, ≤ \d+ % at 95 % confidence\. The estimate is weak/);
    expect(model.provenance.trainer).toContain('threshold for a false-call rate of 0.35 (1/5 held-out normals called)');
  }, 30_000);

  it('says so when the target cannot be set from so few normals, and keeps the margin threshold', async () => {
    // Prepare
    const out = path.join(directory, 'few.wwm');

    // Act
    const run = await train(['--normal', normalDir, '--out', out, '--bank-size', '100', '--target-false-call-rate', '1%']);

    // Assess
    expect(run.code).toBe(0);
    const model = decodeModelFile(await readFile(out));
    expect(model.threshold).toBeCloseTo(Math.max(...model.provenance.heldOutScores) * 1.1, 6);
    expect(run.stdout).toContain('NOT set for a false-call rate of 1 %');
    expect(run.stdout).toMatch(/0\/3 held-out normals called: .*Too few held-out normals to set the threshold for 1\.0 %: that needs at least 99/);
  }, 30_000);
});
