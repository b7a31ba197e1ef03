import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';
import { syntheticWafer } from '../../fixtures/wafer-images';

/** The local stack runs the deployed handlers in-process: with no CloudWatch to read them, EMF blobs are console noise. */
describe('the local stack prints no EMF metrics', () => {
  let stack: LocalStack;
  let dataDir: string;

  beforeAll(async () => {
    // The suite disables EMF for every test (vitest.config.ts); unset here, so only the local stack's own setting counts.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', undefined);
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-quiet-'));
    stack = await startLocalStack({ port: 0, dataDir, env: { POWERTOOLS_LOG_LEVEL: 'SILENT', WAFERWATCH_AUTH: 'off' } });
  });
  afterAll(async () => {
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('inspects an upload without a single EMF line on stdout or stderr', async () => {
    // Prepare
    const jpeg = await syntheticWafer('jpeg', 128, 128);
    const chunks: string[] = [];
    const keep = (chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(keep);

    // Act
    let status: number;
    try {
      const response = await fetch(`${stack.url}/inspections`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
      status = response.status;
      await response.arrayBuffer();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }

    // Assess
    expect(status).toBe(201);
    expect(stack.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
    expect(chunks.join('')).not.toContain('"_aws"');
  });
});
