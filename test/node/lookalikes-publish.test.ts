/// <reference types="node" />
/**
 * `npm run models -- lookalikes --publish-local`, which `npm start` runs on every MODEL_SET=lookalikes start: a file
 * already in the local R2 with its pinned SHA-256 is not put again; a changed one is.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishLocal } from '../../models/commands/lookalikes';
import { sha256Hex } from '../../shared/store/sha256';

describe('publishing the look-alikes to the local R2', () => {
  it('puts each file once, and again only when its hash changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmner-publish-'));
    try {
      const out = join(dir, 'cache');
      mkdirSync(join(out, 'lookalikes'), { recursive: true });
      const file = async (key: string, bytes: Uint8Array) => {
        writeFileSync(join(out, key), bytes);
        return { key, bytes: bytes.length, sha256: await sha256Hex(bytes), origin: null };
      };
      const a = await file('lookalikes/a.onnx', new Uint8Array([1, 2, 3]));
      const b = await file('lookalikes/b.onnx', new Uint8Array([4, 5, 6, 7]));
      const o = { ids: [], shared: 'unused', out, budgetMiB: 100, pin: false, force: false, publishLocal: true, persistTo: join(dir, 'state') };
      const run = async (files: typeof a[]) => {
        const lines: string[] = [];
        await publishLocal(o, files, (l) => lines.push(l));
        return lines;
      };
      expect((await run([a, b])).filter((l) => l.startsWith('published'))).toHaveLength(2);
      expect(await run([a, b])).toEqual(['2 of 2 files already in the local R2 bucket gmner-models with their pinned hash']);
      const b2 = await file('lookalikes/b.onnx', new Uint8Array([9, 9]));
      expect(await run([a, b2])).toEqual(['published lookalikes/b.onnx to the local R2 bucket gmner-models', '1 of 2 files already in the local R2 bucket gmner-models with their pinned hash']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
