/**
 * A stage's HTTP face returns the hops a call made (each call to a part or shard Worker, shared/onnx/hops.ts) only
 * when asked with `x-debug: hops`, and only that call's; otherwise its answers are unchanged (prepare 204, {results}).
 */
import { describe, expect, it } from 'vitest';
import { HopLog, type Hop } from '../../shared/onnx/hops';
import type { SegmentStage } from '../../shared/pipeline/contracts';
import { stageHttpApp } from '../../shared/stages/http-app';
import { imageToWire } from '../../shared/stages/wire';

const hop = (shard: number): Hop => ({ model: 'enc', shard, call_ms: 5, run_ms: 3, bytes_out: 16, bytes_in: 32 });
const image = imageToWire({ width: 2, height: 2, data: new Uint8Array(16) });

function app() {
  const log = new HopLog();
  const stage: SegmentStage = {
    id: 'segment:test',
    prepare: async () => { log.record(hop(0)); log.record(hop(1)); },
    segment: async () => { log.record({ ...hop(0), model: 'dec', shard: null }); return []; },
  };
  return stageHttpApp('segment', async () => stage, { hops: () => log });
}

const post = (a: ReturnType<typeof app>, path: string, body: object, debug: boolean) =>
  a.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...(debug ? { 'x-debug': 'hops' } : {}) }, body: JSON.stringify({ image, image_key: 'k', ...body }) });

describe('stage HTTP face, x-debug: hops', () => {
  it('answers as before without the header', async () => {
    const a = app();
    expect((await post(a, '/v1/prepare', {}, false)).status).toBe(204);
    expect(await (await post(a, '/v1/segment', { boxes: [], output: { width: 2, height: 2 } }, false)).json()).toEqual({ results: [] });
  });

  it('with the header, each answer carries the hops of that call only', async () => {
    const a = app();
    const p = await post(a, '/v1/prepare', {}, true);
    expect(p.status).toBe(200);
    expect(await p.json()).toEqual({ hops: [hop(0), hop(1)] });
    const s = await post(a, '/v1/segment', { boxes: [], output: { width: 2, height: 2 } }, true);
    expect(await s.json()).toEqual({ results: [], hops: [{ ...hop(0), model: 'dec', shard: null }] });
  });

  it('the log keeps the last 256 hops', () => {
    const log = new HopLog();
    for (let i = 0; i < 300; i++) log.record(hop(i));
    const kept = log.since(0);
    expect(kept).toHaveLength(256);
    expect(kept[0].shard).toBe(44);
    expect(log.since(log.mark())).toEqual([]);
  });
});
