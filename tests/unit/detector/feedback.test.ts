import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedbackSourceError, parseFeedbackSource, readFeedbackNormals, withoutDuplicates } from '../../../detector/feedback';
import { sample } from '../adapters/embedded-detector/helpers';

describe('parseFeedbackSource', () => {
  it("reads a station's normal folder in the bucket, a station prefix as its normals, and a local folder", () => {
    // Prepare
    const given = ['s3://images-bucket/feedback/litho-3/normal/', 's3://images-bucket/feedback/litho-3', 'labelled/litho-3'];

    // Act
    const sources = given.map(parseFeedbackSource);

    // Assess
    expect(sources).toEqual([
      { kind: 's3', bucket: 'images-bucket', prefix: 'feedback/litho-3/normal/', uri: 's3://images-bucket/feedback/litho-3/normal/' },
      { kind: 's3', bucket: 'images-bucket', prefix: 'feedback/litho-3/normal/', uri: 's3://images-bucket/feedback/litho-3/normal/' },
      { kind: 'folder', dir: 'labelled/litho-3' },
    ]);
  });

  it('refuses anomalous images and prefixes outside feedback/<station>/normal/', () => {
    // Prepare
    const given = ['s3://images-bucket/feedback/litho-3/anomalous/', 's3://images-bucket/inspections/2026/', 's3://X/feedback/a/normal/'];

    // Act
    const errors = given.map((text) => {
      try {
        parseFeedbackSource(text);
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    expect(errors.every((error) => error instanceof FeedbackSourceError)).toBe(true);
    expect((errors[0] as Error).message).toMatch(/normals only/);
  });
});

describe('readFeedbackNormals from a folder', () => {
  it("takes a downloaded feedback/<station>/ folder's normal/ images, names them feedback/…, and drops duplicates of training images", async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'waferwatch-feedback-'));
    await mkdir(path.join(dir, 'normal'));
    await mkdir(path.join(dir, 'anomalous'));
    await writeFile(path.join(dir, 'normal', '01KMB6Z0N7Q9TS7W9M2J8VQ3CA.jpg'), sample('good', 'wafer.jpg'));
    await writeFile(path.join(dir, 'normal', '01KMB6Z0N7Q9TS7W9M2J8VQ3CB.jpg'), sample('good', 'smuged.jpg'));
    await writeFile(path.join(dir, 'anomalous', '01KMB6Z0N7Q9TS7W9M2J8VQ3CC.jpg'), sample('anomalous', 'scratch.jpg'));

    try {
      // Act
      const labelled = await readFeedbackNormals({ kind: 'folder', dir });
      const merged = withoutDuplicates([{ name: 'wafer.jpg', bytes: sample('good', 'wafer.jpg') }, ...labelled]);

      // Assess
      expect(labelled.map((image) => image.name)).toEqual(['feedback/01KMB6Z0N7Q9TS7W9M2J8VQ3CA.jpg', 'feedback/01KMB6Z0N7Q9TS7W9M2J8VQ3CB.jpg']);
      expect(merged.images.map((image) => image.name)).toEqual(['wafer.jpg', 'feedback/01KMB6Z0N7Q9TS7W9M2J8VQ3CB.jpg']);
      expect(merged.duplicates).toEqual(['feedback/01KMB6Z0N7Q9TS7W9M2J8VQ3CA.jpg']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
