import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerlessYaml } from '../../../local/serverless-routes';

/**
 * serverless.yml's `resources:` is a list of files under resources/, one per concern, which the framework merges
 * into one template (osls Service.mergeArrays: a deep merge). A deep merge never complains: the same logical id in
 * two files would silently become one resource made of both, and a file left out of the list is simply not
 * deployed. These tests keep the list and the files in step.
 */
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const RESOURCES_DIR = path.join(REPO_ROOT, 'resources');
const SECTIONS = ['Conditions', 'Resources', 'Outputs', 'extensions'] as const;

async function includedFiles(): Promise<string[]> {
  const service = parseServerlessYaml(await readFile(path.join(REPO_ROOT, 'serverless.yml'), 'utf8')) as { resources?: unknown };
  if (!Array.isArray(service.resources)) throw new Error('serverless.yml resources is not a list of files');
  return service.resources.map((entry) => {
    const file = typeof entry === 'string' ? /^\$\{file\((resources\/[^)]+\.yml)\)\}$/.exec(entry)?.[1] : undefined;
    if (!file) throw new Error(`serverless.yml resources entry ${JSON.stringify(entry)} is not \${file(resources/<name>.yml)}`);
    return file;
  });
}

async function resourceFiles(): Promise<string[]> {
  return (await readdir(RESOURCES_DIR)).filter((name) => name.endsWith('.yml')).map((name) => `resources/${name}`);
}

describe('resources/*.yml, the CloudFormation serverless.yml includes', () => {
  it('are all included by serverless.yml, once each, and every included file exists', async () => {
    // Act
    const included = await includedFiles();
    const present = await resourceFiles();

    // Assess
    expect(new Set(included).size).toBe(included.length);
    expect([...included].sort()).toEqual([...present].sort());
  });

  it('each open with two comment lines on what they hold, and hold only template sections', async () => {
    for (const file of await resourceFiles()) {
      // Prepare
      const text = await readFile(path.join(REPO_ROOT, file), 'utf8');

      // Act
      const [first, second, third] = text.split('\n');
      const document = parseServerlessYaml(text) as Record<string, unknown>;

      // Assess
      expect(first, file).toMatch(/^# \S/);
      expect(second, file).toMatch(/^# \S/);
      expect(third, file).toMatch(/^[A-Za-z]+:$/);
      expect(
        Object.keys(document).filter((key) => !(SECTIONS as readonly string[]).includes(key)),
        file,
      ).toEqual([]);
    }
  });

  it('define each logical id, condition and output in one file only', async () => {
    // Prepare
    const owners = new Map<string, string[]>();

    // Act
    for (const file of await resourceFiles()) {
      const document = parseServerlessYaml(await readFile(path.join(REPO_ROOT, file), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
      for (const section of SECTIONS) {
        for (const name of Object.keys(document[section] ?? {})) {
          const key = `${section}.${name}`;
          owners.set(key, [...(owners.get(key) ?? []), file]);
        }
      }
    }

    // Assess
    expect(owners.size).toBeGreaterThan(50);
    expect([...owners].filter(([, files]) => files.length > 1)).toEqual([]);
  });
});
