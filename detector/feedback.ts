import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readImageFolder } from './image-folder';
import type { NamedImage } from './training';

/**
 * Labelled normals for training (`npm run train -- --include-feedback`): the images operators kept manufacturing on a
 * call and engineers reviewed as normal, which the product copies to `feedback/<station>/normal/<id>.jpg|png` in the
 * image bucket (functions/core/inspection-keys.ts feedbackKey). Read from that prefix with the S3 client, or from a
 * local folder (a downloaded copy).
 */

/** Where labelled normals are read from. */
export type FeedbackSource = { kind: 'folder'; dir: string } | { kind: 's3'; bucket: string; prefix: string; uri: string };

/** A problem with the source the caller named (a one-line message, exit code 1). */
export class FeedbackSourceError extends Error {
  override name = 'FeedbackSourceError';
}

/**
 * Read `--include-feedback`: a folder, or `s3://bucket/feedback/<station>/normal/` (`s3://bucket/feedback/<station>/`
 * means its normal/ folder). Only normals may be trained on: a prefix naming the anomalous folder is refused.
 */
export function parseFeedbackSource(text: string): FeedbackSource {
  if (!text.startsWith('s3://')) return { kind: 'folder', dir: text };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(text);
  if (!match) throw new FeedbackSourceError(`--include-feedback ${text} is not s3://<bucket>/feedback/<station>/normal/`);
  const bucket = match[1]!;
  let prefix = match[2]!;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (/\/anomalous\/$/.test(prefix) || prefix.includes('/anomalous/'))
    throw new FeedbackSourceError(`--include-feedback ${text} names anomalous images; training takes normals only (…/normal/)`);
  // feedback/<station>/ alone: the station's normals.
  if (/^feedback\/[^/]+\/$/.test(prefix)) prefix += 'normal/';
  if (!/^feedback\/[^/]+\/normal\/$/.test(prefix))
    throw new FeedbackSourceError(`--include-feedback ${text}: expected s3://${bucket}/feedback/<station>/normal/ (where labelled normals are kept)`);
  return { kind: 's3', bucket, prefix, uri: `s3://${bucket}/${prefix}` };
}

export interface ReadFeedbackOptions {
  /** Needed for an s3:// source. */
  s3?: S3Client;
  /** Keep only the newest this many (by the object's LastModified, or the file name in a folder). */
  limit?: number;
}

/**
 * The labelled normals of a source, named `feedback/<file>` so they are told apart from the training folder's images in
 * the model's provenance; sorted by name (inspection ids are ULIDs, so by time) for reproducible training.
 */
export async function readFeedbackNormals(source: FeedbackSource, options: ReadFeedbackOptions = {}): Promise<NamedImage[]> {
  if (source.kind === 'folder') {
    // A downloaded copy of feedback/<station>/ holds normal/ and anomalous/: its normals.
    const dir = (await isFolder(join(source.dir, 'normal'))) ? join(source.dir, 'normal') : source.dir;
    let images: NamedImage[];
    try {
      images = await readImageFolder(dir);
    } catch (error) {
      if (error instanceof Error && /^No \.jpg/.test(error.message)) return [];
      throw new FeedbackSourceError(`--include-feedback ${source.dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const kept = options.limit !== undefined ? images.slice(Math.max(0, images.length - options.limit)) : images;
    return kept.map((image) => ({ name: `feedback/${image.name}`, bytes: image.bytes }));
  }
  const s3 = options.s3;
  if (!s3) throw new Error('An S3 client is needed to read s3:// feedback');
  const listed: { key: string; modified: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: source.bucket, Prefix: source.prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const object of page.Contents ?? []) {
      // Directly in the folder, and an image by its name (the product writes .jpg and .png only).
      if (!object.Key || object.Key.slice(source.prefix.length).includes('/') || !/\.(jpe?g|png)$/i.test(object.Key)) continue;
      listed.push({ key: object.Key, modified: object.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  listed.sort((a, b) => b.modified - a.modified || b.key.localeCompare(a.key));
  const chosen = (options.limit !== undefined ? listed.slice(0, options.limit) : listed).sort((a, b) => a.key.localeCompare(b.key));
  const images: NamedImage[] = [];
  for (const { key } of chosen) {
    const object = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: key }));
    if (!object.Body) continue;
    images.push({ name: `feedback/${key.slice(source.prefix.length)}`, bytes: await object.Body.transformToByteArray() });
  }
  return images;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The images with any whose bytes came earlier left out (a labelled normal may also be in the training folder). */
export function withoutDuplicates(images: readonly NamedImage[]): { images: NamedImage[]; duplicates: string[] } {
  const seen = new Set<string>();
  const kept: NamedImage[] = [];
  const duplicates: string[] = [];
  for (const image of images) {
    const sha256 = createHash('sha256').update(image.bytes).digest('hex');
    if (seen.has(sha256)) duplicates.push(image.name);
    else {
      seen.add(sha256);
      kept.push(image);
    }
  }
  return { images: kept, duplicates };
}
