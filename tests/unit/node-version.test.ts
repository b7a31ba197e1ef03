import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerlessYaml } from '../../local/serverless-routes';

const PROJECT_ROOT = path.resolve(__dirname, '../..');

describe('Node version', () => {
  it('runs the tests on the major Lambda runs (the project brings it: the npm package node)', () => {
    // Prepare
    const serverless = parseServerlessYaml(readFileSync(path.join(PROJECT_ROOT, 'serverless.yml'), 'utf8')) as { provider: { runtime: string } };
    const packageJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      engines: { node: string };
    };
    // Act
    const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(serverless.provider.runtime)?.[1]);
    const testMajor = Number(process.versions.node.split('.')[0]);
    const broughtMajor = Number(packageJson.devDependencies.node?.split('.')[0]);
    // Assess
    expect(lambdaMajor).toBeGreaterThanOrEqual(22);
    expect(testMajor).toBe(lambdaMajor);
    expect(broughtMajor).toBe(lambdaMajor);
    expect(packageJson.engines.node).toBe(`>=${lambdaMajor}`);
  });
});
