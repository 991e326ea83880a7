/**
 * Issue 11 item 4 as a new user met it, end to end in workerd with MODEL_SET=fixtures and the recorded LLM
 * answering "Kevin Durant" for every post: a post repeating the name 700 times, then a 1.3 M-character multipart
 * post, then an ordinary post with masks (it needs the SAM models, not loaded yet). Each step prints one JSON line
 * (status, entities, time, ORT heap after) for docs/benchmarks.md; the assertions are the bounds.
 *
 *   npx vitest run test/workers/bounds-measure.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { modelRuntimeFromEnv } from '../../models/runtime-from-env';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import { issueKey } from '../support/accounts';
import { encodePng, whiteBlock } from '../support/images';
import { scriptedEnv } from '../support/llm';

const app = createApp();
const ANSWER = JSON.stringify({ entities: [{ text: 'Kevin Durant', type: 'PER', fine_type: null, expansion: 'an American basketball player' }] });

describe('bounded work per post (measured)', () => {
  let auth: Record<string, string> = {};
  let e: Record<string, unknown> = {};
  beforeAll(async () => {
    auth = (await issueKey({ name: 'bounds' })).auth;
    // MEMORY_BUDGET_MB spelled out: this file's own runtime, not one another file already warmed
    e = await scriptedEnv('bounds', [ANSWER], { MODEL_SET: 'fixtures', MODEL_STORE: 'origin', MEMORY_BUDGET_MB: '128' });
  });

  it('700 repetitions, a 1.3 M-character multipart post, then the next request', { timeout: 600_000 }, async () => {
    const image = await encodePng(whiteBlock());
    const heapMb = () => Math.round(modelRuntimeFromEnv(e, workerdOrt).ort.heapBytes() / 2 ** 20 * 10) / 10;
    const post = async (step: string, text: string, masks: boolean) => {
      const form = new FormData();
      form.set('text', text);
      form.set('image', new File([image], 'photo.png', { type: 'image/png' }));
      form.set('options', JSON.stringify({ masks }));
      const t0 = Date.now();
      const res = await app.request('/v1/recognize', { method: 'POST', body: form, headers: auth }, e);
      const ms = Date.now() - t0;
      const body = await res.json<any>();
      const line = { measure: 'bounds', step, chars: text.length, masks, status: res.status, type: body.type ?? null, entities: body.entities?.length ?? null, dropped: body.dropped?.length ?? null, ms, ort_heap_mb_after: heapMb(), detail: body.detail?.slice(0, 200) ?? null };
      console.log(JSON.stringify(line));
      return line;
    };
    const r700 = await post('700 repetitions', 'Kevin Durant '.repeat(700).trim(), false);
    const huge = await post('1.3 M characters', 'Kevin Durant '.repeat(100_000).trim(), false);
    const next = await post('next request (masks: SAM not yet loaded)', 'RT @ hoopsdaily : Kevin Durant arrives at Chase Center # NBA', true);

    expect([r700.status, r700.entities]).toEqual([200, 32]);
    expect([huge.status, huge.type]).toEqual([422, 'https://gmner.dev/problems/validation']);
    expect([next.status, next.entities]).toEqual([200, 1]);
    expect(next.ort_heap_mb_after).toBeLessThan(128);
  });
});
