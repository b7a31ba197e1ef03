import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileKernel, KERNELS, kernelModuleText } from '../../../../detector/build-kernels';

describe('embedded detector kernels build', () => {
  it.each(KERNELS.map((kernel) => [basename(kernel.source), kernel] as const))(
    '%s is exactly what its AssemblyScript source compiles to, so the committed WebAssembly is the reviewed source',
    async (_name, kernel) => {
      // Act
      const binary = await compileKernel(kernel);

      // Assess
      expect(kernelModuleText(kernel, binary)).toBe(readFileSync(kernel.module, 'utf8'));
      expect(Buffer.from(binary.subarray(0, 4)).toString('latin1')).toBe('\0asm');
    },
    60_000,
  );
});
