import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { normalisedTemplate, repoRoot, usePackagedTemplate, type CloudFormationTemplate } from '../helpers/packaged-template';

/**
 * The packaged CloudFormation template, saved: what serverless.yml and resources/*.yml mean once the framework has
 * compiled them (functions, API, roles, queues, alarms...), with per-build noise normalised away (code hashes, the
 * packaging time; see normalisedTemplate). A refactoring of the YAML (moving resources between files, reordering,
 * renaming anchors or custom values) must leave it exactly as it is.
 *
 * When a change of the stack is intended, refresh the fixture and review its diff with the change:
 *   WAFERWATCH_REFRESH_TEMPLATE_FIXTURE=1 npx vitest run tests/integration/template-meaning.test.ts
 *   git diff tests/fixtures/packaged-template-resources.json
 */
const FIXTURE = path.join(repoRoot, 'tests', 'fixtures', 'packaged-template-resources.json');
const REFRESH = process.env.WAFERWATCH_REFRESH_TEMPLATE_FIXTURE === '1';
const SECTIONS = ['AWSTemplateFormatVersion', 'Description', 'Parameters', 'Conditions', 'Resources', 'Outputs'] as const;

const template = usePackagedTemplate();

/** `Resources.ImageBucket`, `Outputs.ApiUrl`, `Description`...: each top-level entry that is not the same in both. */
function differingEntries(actual: CloudFormationTemplate, saved: CloudFormationTemplate): string[] {
  const differing: string[] = [];
  const keys = new Set([...Object.keys(actual), ...Object.keys(saved), ...SECTIONS]);
  for (const section of keys) {
    const left = (actual as unknown as Record<string, unknown>)[section];
    const right = (saved as unknown as Record<string, unknown>)[section];
    if (typeof left === 'object' && left !== null && typeof right === 'object' && right !== null) {
      for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
        if (!isDeepStrictEqual((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key])) differing.push(`${section}.${key}`);
      }
    } else if (!isDeepStrictEqual(left, right)) {
      differing.push(section);
    }
  }
  return differing;
}

function entry(source: CloudFormationTemplate, dotted: string): unknown {
  const [section, key] = dotted.split(/\.(.*)/s) as [string, string | undefined];
  const value = (source as unknown as Record<string, unknown>)[section];
  return key === undefined ? value : (value as Record<string, unknown> | undefined)?.[key];
}

describe('the packaged template keeps its meaning (tests/fixtures/packaged-template-resources.json)', () => {
  it('packages to the saved template, code hashes and packaging times aside', async () => {
    // Prepare
    const actual = normalisedTemplate(template());
    if (REFRESH) {
      await writeFile(FIXTURE, `${JSON.stringify(actual, null, 2)}\n`);
      console.info(`Refreshed ${path.relative(repoRoot, FIXTURE)}: review its diff with the change.`);
    }
    const saved = JSON.parse(await readFile(FIXTURE, 'utf8')) as CloudFormationTemplate;

    // Act
    const differing = differingEntries(actual, saved);

    // Assess: first the entries that differ, side by side (a readable diff), then the whole template.
    const hint =
      'The packaged template changed. If intended, refresh the fixture: WAFERWATCH_REFRESH_TEMPLATE_FIXTURE=1 npx vitest run tests/integration/template-meaning.test.ts';
    expect(Object.fromEntries(differing.map((key) => [key, entry(actual, key)])), `${hint}\nDiffering: ${differing.join(', ')}`).toEqual(
      Object.fromEntries(differing.map((key) => [key, entry(saved, key)])),
    );
    expect(actual, hint).toEqual(saved);
  });

  it('normalises only per-build noise: the saved template still names every function, version and deployment', async () => {
    // Prepare
    const saved = JSON.parse(await readFile(FIXTURE, 'utf8')) as CloudFormationTemplate;

    // Act
    const types = Object.values(saved.Resources).map((resource) => resource.Type);
    const normalisedIds = Object.keys(saved.Resources).filter((logicalId) => logicalId.includes('<'));

    // Assess: thirteen functions, each with its version; one API deployment; nothing else renamed.
    expect(types.filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(13);
    expect(normalisedIds.filter((logicalId) => logicalId.endsWith('LambdaVersion<code-hash>'))).toHaveLength(13);
    expect(normalisedIds.filter((logicalId) => !logicalId.endsWith('LambdaVersion<code-hash>'))).toEqual(['ApiGatewayDeployment<build>']);
    expect(JSON.stringify(saved)).not.toMatch(/\d{13}/);
  });
});
