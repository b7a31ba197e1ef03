import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerlessYaml } from '../../local/serverless-routes';

/**
 * The layout of functions/ and its dependency rule (docs/ARCHITECTURE.md), checked on every import of every file:
 * handlers → wiring → (core, adapters, config); adapters → core; config → core; core → nothing outside itself.
 */
const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = path.join(ROOT, 'functions');
const LAYERS = ['handlers', 'wiring', 'core', 'adapters', 'config'] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import (its own included). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  handlers: ['wiring'],
  wiring: ['wiring', 'core', 'adapters', 'config'],
  adapters: ['adapters', 'core'],
  config: ['config', 'core'],
  core: ['core'],
};

/** The only packages the core may use: no AWS SDK, no sharp, no Lambda or HTTP types, no Powertools. */
const CORE_PACKAGES = [/^node:/, /^zod$/, /^ulid$/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic, type-only included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
}

function layerOf(file: string): Layer | undefined {
  const [first] = path.relative(FUNCTIONS, file).split(path.sep);
  return (LAYERS as readonly string[]).includes(first!) ? (first as Layer) : undefined;
}

const files = sourceFiles(FUNCTIONS);

describe('functions/ layout', () => {
  it('has only the five layers at its top, no loose files', () => {
    // Act
    const top = readdirSync(FUNCTIONS).sort();

    // Assess
    expect(top).toEqual([...LAYERS].sort());
  });

  it('keeps the dependency rule on every import', () => {
    // Act
    const broken = files.flatMap((file) => {
      const layer = layerOf(file)!;
      return importsOf(file).flatMap((specifier) => {
        const where = `${path.relative(ROOT, file)} imports ${specifier}`;
        if (specifier.startsWith('.')) {
          const target = path.resolve(path.dirname(file), specifier);
          if (!target.startsWith(FUNCTIONS + path.sep)) return [`${where}: outside functions/`];
          const targetLayer = layerOf(target);
          return targetLayer && MAY_IMPORT[layer].includes(targetLayer) ? [] : [`${where}: ${layer} may not import ${targetLayer ?? 'that'}`];
        }
        if (layer === 'core' && !CORE_PACKAGES.some((allowed) => allowed.test(specifier))) return [`${where}: the core uses no outside package`];
        if (layer === 'handlers') return [`${where}: a handler only hands over to its wiring`];
        return [];
      });
    });

    // Assess
    expect(files.flatMap(importsOf).length).toBeGreaterThan(300);
    expect(broken).toEqual([]);
  });

  it('keeps HTTP out of the core: no status codes, no API Gateway types', () => {
    // Act
    const offending = files.filter((file) => layerOf(file) === 'core' && /statusCode|APIGateway/.test(readFileSync(file, 'utf8')));

    // Assess
    expect(offending.map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it("has one handler and one wiring per function of serverless.yml, the handler at the function's handler path", () => {
    // Prepare
    const document = parseServerlessYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as { functions: Record<string, { handler: string }> };
    const handlerPaths = Object.values(document.functions).map((definition) => definition.handler);

    // Act
    const handlerFiles = readdirSync(path.join(FUNCTIONS, 'handlers')).sort();
    const wiringFiles = readdirSync(path.join(FUNCTIONS, 'wiring'))
      .filter((name) => name.endsWith('.ts'))
      .sort();

    // Assess
    expect(handlerPaths.map((handler) => handler.replace(/^functions\/handlers\/(.+)\.handler$/, '$1.ts')).sort()).toEqual(handlerFiles);
    expect(wiringFiles).toEqual(handlerFiles);
  });
});
