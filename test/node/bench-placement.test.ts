/**
 * The placement bench's wiring on fixture models (`npm run bench -- pipeline --placement ...`): the option is parsed,
 * each placement really starts what it names (the api alone with in-process stages; every Worker of infra/workers.ts
 * in one workerd; one workerd per Worker), every placement gives rows from the product's own answers, and an answer
 * whose stages ran somewhere else than the placement says fails the bench. The hop measurement gets every call a stage
 * Worker made to its part and shard Workers, with the callee's run time and the bytes each way.
 */
import { gradientPng } from '../support/png-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  benchPlacements, checkPlacement, hopTable, parsePlacements, placementTable, targetMs, type PlacementRun,
} from '../../scripts/bench/pipeline-placement';

describe('placement option', () => {
  it('parses the three placements and refuses anything else', () => {
    expect(parsePlacements('in-process,split-one,split-per-worker')).toEqual(['in-process', 'split-one', 'split-per-worker']);
    expect(parsePlacements(' split-one ,split-one')).toEqual(['split-one']);
    expect(() => parsePlacements('in-process,split')).toThrow(/not split$/);
    expect(() => parsePlacements('')).toThrow(/--placement takes/);
  });

  it('an answer whose stages ran elsewhere than the placement fails the bench', () => {
    const inProcess = { entail: 'in-process', ground: 'in-process', segment: 'in-process' };
    const bound = { entail: 'service-binding', ground: 'service-binding', segment: 'service-binding' };
    expect(checkPlacement('in-process', inProcess)).toBeNull();
    expect(checkPlacement('split-one', bound)).toBeNull();
    expect(checkPlacement('split-per-worker', inProcess)).toMatch(/entail placement "in-process"/);
    expect(checkPlacement('in-process', { ...inProcess, segment: 'service-binding' })).toMatch(/segment placement "service-binding"/);
    expect(checkPlacement('split-one', { ...bound, ground: null })).toMatch(/ground placement null/);
  });

  it('judges only the rows the issue sets a target for', () => {
    expect([targetMs(3, false), targetMs(3, true), targetMs(8, true), targetMs(8, false), targetMs(1, true)]).toEqual([1000, 2000, 3000, null, null]);
  });
});

describe('every placement on fixtures', () => {
  let runs: PlacementRun[];
  const W = 96;
  const H = 64;
  beforeAll(async () => {
    const png = gradientPng(W, H);
    const pixels = { width: W, height: H, data: new Uint8Array(W * H * 4).fill(128) };
    runs = await benchPlacements({
      placements: ['in-process', 'split-one', 'split-per-worker'], set: 'fixtures', runs: 1, llmMs: 0, entities: [3], masks: [true],
      lookalikeCache: '', image: png, mediaType: 'image/png', pixels,
    }, () => undefined);
  }, 600_000);
  afterAll(() => undefined);

  it('starts what each placement names', () => {
    const [inProcess, one, perWorker] = runs;
    expect(runs.map((r) => r.placement)).toEqual(['in-process', 'split-one', 'split-per-worker']);
    expect([inProcess.workers, inProcess.processes]).toEqual([1, 1]);
    expect(one.workers).toBeGreaterThan(4); // api, 3 stages, their parts and shards
    expect(one.processes).toBe(1);
    expect(perWorker.workers).toBe(one.workers);
    expect(perWorker.processes).toBe(perWorker.workers);
  });

  it('each placement gives a row from answers whose stages ran there, with boxes and masks', () => {
    for (const run of runs) {
      expect(run.error).toBeUndefined();
      expect(run.rows).toHaveLength(1);
      const [post] = run.rows[0].posts;
      const want = run.placement === 'in-process' ? 'in-process' : 'service-binding';
      expect(post.stage_placements).toEqual({ entail: want, ground: want, segment: want });
      expect(post.entities).toBe(3);
      expect(post.timings_ms.total).toBeGreaterThan(0);
      for (const k of ['llm_sent', 'recognize', 'entail_prepare', 'ground_prepare', 'segment_prepare', 'entail']) expect(post.timings_ms[k], `${run.placement} ${k}`).toBeGreaterThanOrEqual(0);
    }
    const table = placementTable(runs, { llmMs: 0, runs: 1, set: 'fixtures' });
    for (const p of ['in-process', 'split-one', 'split-per-worker']) expect(table).toMatch(new RegExp(`\\| ${p} \\| 3 \\| on \\|.*\\| (PASS|MISS) \\|`));
  });

  it('measures the hops of the split placements only: callee run time and bytes per boundary', () => {
    expect(runs[0].hops).toEqual([]);
    for (const run of runs.slice(1)) {
      // the fixture encoder is cut in two shards: both are called on segment prepare, the decoder on segment
      const enc = run.hops.filter((h) => h.model === 'mobilesam-encoder');
      expect(enc.map((h) => h.shard).sort()).toEqual([0, 1]);
      expect(enc.every((h) => h.call === 'segment prepare')).toBe(true);
      expect(enc.find((h) => h.shard === 0)!.bytes_in).toBe(enc.find((h) => h.shard === 1)!.bytes_out);
      // the SAM decoder fits STAGE_LOCAL_MODELS_MB, so the segment stage runs it in its own isolate: no hop for it
      expect(run.hops.some((h) => h.call === 'segment')).toBe(false);
      for (const h of run.hops) {
        expect(h.call_ms).toBeGreaterThanOrEqual(h.run_ms);
        expect(h.bytes_out + h.bytes_in).toBeGreaterThan(0);
      }
    }
    expect(hopTable(runs)).toMatch(/\| split-per-worker \| mobilesam-encoder \| shard 1 \| segment prepare \| 1 \|/);
  });
});
