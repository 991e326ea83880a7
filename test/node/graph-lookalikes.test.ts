/// <reference types="node" />
/**
 * The `lookalikes` set as committed: every role has the default set's I/O contract (so the stage code runs on it
 * unchanged), every file and shard file is pinned, every shard chain is well-formed (each shard is fed by the entry's
 * inputs or earlier shards, and the shards produce the entry's outputs), and each measured peak is under the budget it
 * was cut for. The files themselves are checked against the pins when .cache/lookalikes holds them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECIPES } from '../../models/lookalike/recipes';
import { LOOKALIKES } from '../../models/lookalikes';
import { MODELS } from '../../models/manifest';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { checkSessionContract } from '../../shared/onnx/contract';
import { nodeOrt } from '../../shared/onnx/ort-node';

const MiB = 2 ** 20;
const contract = (e: { inputs: { name: string; type: string; shape: unknown[] }[]; outputs: { name: string; type: string; shape: unknown[] }[] }) => ({
  inputs: e.inputs.map(({ name, type, shape }) => ({ name, type, shape })),
  outputs: e.outputs.map(({ name, type, shape }) => ({ name, type, shape })),
});

describe('lookalikes model set', () => {
  it('is what MODEL_SET=lookalikes selects, one entry per role', () => {
    const { set, entries } = modelSetFromEnv({ MODEL_SET: 'lookalikes' });
    expect(set).toBe('lookalikes');
    expect((entries as typeof LOOKALIKES).map((e) => e.role).sort()).toEqual(['entail.text', 'entail.vision', 'ground.image', 'ground.query', 'segment.decoder', 'segment.encoder']);
  });

  it('has the default set\'s contract for every role the default set serves as one graph', () => {
    for (const e of LOOKALIKES.filter((x) => !x.role.startsWith('ground.'))) {
      const d = MODELS.find((m) => m.role === e.role)!;
      expect(contract(e), e.id).toEqual(contract(d));
      expect(e.preprocessing, e.id).toEqual(d.preprocessing);
    }
  });

  it('pins every file and shard, and every shard chain is well-formed and under its budget', () => {
    for (const e of LOOKALIKES) {
      expect(e.files[0].sha256, e.id).toMatch(/^[0-9a-f]{64}$/);
      if (!e.shards) continue;
      const have = new Set(e.inputs.map((i) => i.name));
      for (const s of e.shards.shards) {
        expect(s.file.sha256, `${e.id} shard ${s.index}`).toMatch(/^[0-9a-f]{64}$/);
        for (const t of s.inputs) expect(have.has(t.name), `${e.id} shard ${s.index} input ${t.name}`).toBe(true);
        for (const t of s.outputs) have.add(t.name);
        expect(s.memory.peakWasmBytes).toBeLessThanOrEqual(e.shards.budgetBytes);
        expect(e.shards.budgetBytes).toBeLessThanOrEqual(128 * MiB);
      }
      for (const o of e.outputs) expect(have.has(o.name), `${e.id} output ${o.name}`).toBe(true);
    }
  });

  it('states the whole graph\'s need for an entry that does not fit one isolate, and serves it only as shards', () => {
    for (const e of LOOKALIKES) {
      // the runtime's budget check reads entry.memory when it loads files[0]: it must not be a shard's smaller figure
      if (e.shards) expect(e.memory.peakWasmBytes, e.id).toBeGreaterThan(Math.max(...e.shards.shards.map((s) => s.memory.peakWasmBytes)));
      else if (e.memory.peakWasmBytes > 128 * MiB) expect(e.memory.basis, e.id).toMatch(/Not shardable under/);
    }
  });

  it('states the batch the text tower\'s shards were measured at (the runtime never runs more rows at once)', () => {
    const text = LOOKALIKES.find((e) => e.id === 'lookalike-clip-b32-text')!;
    const feeds = RECIPES.find((r) => r.id === text.id)!.feeds();
    expect(text.shards!.batch).toEqual({ dim: 'batch', rows: feeds.input_ids.dims[0] });
    // OWL-ViT query's cut names a flattened queries x tokens axis num_queries too: its rows cannot be split
    expect(LOOKALIKES.find((e) => e.id === 'lookalike-owlvit-b32-query')!.shards!.batch).toBeUndefined();
  });

  const dir = '.cache/lookalikes';
  it.skipIf(!existsSync(dir))('the built files in .cache/lookalikes have their pinned hashes', () => {
    for (const e of LOOKALIKES) {
      for (const f of [e.files[0], ...(e.shards?.shards.map((s) => s.file) ?? [])]) {
        const path = join(dir, f.key);
        if (!existsSync(path)) continue;
        expect(createHash('sha256').update(readFileSync(path)).digest('hex'), f.key).toBe(f.sha256);
      }
    }
  });

  it.skipIf(!existsSync(dir))('each built whole graph passes the runtime\'s contract check for its entry', async () => {
    for (const e of LOOKALIKES) {
      const path = join(dir, e.files[0].key);
      if (!existsSync(path)) continue;
      const inst = await nodeOrt.instantiate();
      const session = await inst.ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
      try {
        expect(() => checkSessionContract(e, session), e.id).not.toThrow();
      } finally {
        await session.release();
      }
    }
  }, 240_000);
});
