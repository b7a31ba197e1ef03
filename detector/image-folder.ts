import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NamedImage } from './training';

/** Read every .jpg/.jpeg/.png file of a folder, sorted by name so training is reproducible. */
export async function readImageFolder(dir: string): Promise<NamedImage[]> {
  const names = (await readdir(dir)).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
  if (names.length === 0) throw new Error(`No .jpg, .jpeg or .png images in ${dir}`);
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
}

/** Rotation (degrees) a file name starts with, e.g. "120_scratch.jpg" → 120; none means 0. */
export function rotationOf(name: string): number {
  const match = /^(\d+)_/.exec(name);
  return match ? Number(match[1]) : 0;
}

/** Defect or variant name after the rotation prefix, e.g. "120_scratch.jpg" → "scratch". */
export function kindOf(name: string): string {
  return name.replace(/^\d+_/, '').replace(/\.(jpe?g|png)$/i, '');
}
