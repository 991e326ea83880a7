/// <reference types="node" />
/** The committed ORT factory must be the transform of the installed onnxruntime-web, or it is stale. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentFactorySource, FACTORY_PATH } from '../../shared/onnx/vendor/regenerate';
import { toOrtFactory } from '../../shared/onnx/vendor/transform';

describe('vendored ORT factory', () => {
  it('matches the installed onnxruntime-web (run `npx tsx shared/onnx/vendor/regenerate.ts` after an upgrade)', () => {
    expect(readFileSync(FACTORY_PATH, 'utf8') === currentFactorySource()).toBe(true);
  });

  it('turns the single export statement into a returned object and refuses bundles it cannot wrap', () => {
    const out = toOrtFactory('/*! header */\nvar a=1,b=2;export{a as env,b as default};\n//# sourceMappingURL=x.map', '9.9.9');
    expect(out).toContain('export function createOrtModule(WebAssembly) {');
    expect(out).toContain('return{"env":a,"default":b};');
    expect(out).not.toContain('sourceMappingURL');
    expect(() => toOrtFactory('import x from "y";export{x};', '1')).toThrow(/static imports/);
    expect(() => toOrtFactory('var a;', '1')).toThrow(/exactly one export/);
  });
});
