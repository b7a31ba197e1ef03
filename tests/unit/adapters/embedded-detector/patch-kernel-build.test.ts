import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePatchKernel, KERNEL_MODULE, kernelModuleText } from '../../../../detector/build-patch-kernel';

describe('patch statistics kernel build', () => {
  it('is exactly what its AssemblyScript source compiles to, so the committed WebAssembly is the reviewed source', async () => {
    // Act
    const binary = await compilePatchKernel();

    // Assess
    expect(kernelModuleText(binary)).toBe(readFileSync(KERNEL_MODULE, 'utf8'));
    expect(Buffer.from(binary.subarray(0, 4)).toString('latin1')).toBe('\0asm');
  }, 60_000);
});
