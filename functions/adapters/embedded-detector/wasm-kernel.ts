/**
 * What the detector's WebAssembly kernels (assembly/*.ts, compiled into the `*-wasm.ts` modules by
 * `npm run build:kernels`) share: compiling one once per thread, instantiating it with a memory of its own, and laying
 * out and growing that memory.
 */

/** The part of the WebAssembly JavaScript API used here: TypeScript describes it only in its DOM libraries. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A kernel's memory, as its exports hand it out. */
export interface KernelMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

const WASM_PAGE_BYTES = 65_536;

/** Compiled kernels by their base64 (a few kilobytes each: well under a millisecond to compile). */
const compiledKernels = new Map<string, object>();

/** A new instance of a kernel, with a memory of its own; `imports` are the functions it calls back, by module and name. */
export function instantiateKernel<Exports>(base64: string, imports: Record<string, Record<string, unknown>> = {}): Exports {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  let compiled = compiledKernels.get(base64);
  if (!compiled) {
    compiled = new Module(Buffer.from(base64, 'base64'));
    compiledKernels.set(base64, compiled);
  }
  return new Instance(compiled, imports).exports as Exports;
}

/** Grow a kernel's memory so it holds at least `bytes` (growing detaches every view of the old buffer). */
export function reserveKernelMemory(memory: KernelMemory, bytes: number): void {
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE_BYTES));
}

/** An offset rounded up to 16 bytes: every part of a kernel's memory starts aligned for whole-vector loads. */
export function align16(offset: number): number {
  return Math.ceil(offset / 16) * 16;
}
