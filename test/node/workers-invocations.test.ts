/**
 * Worker invocations per request, counted, not estimated: the split deployment for MODEL_SET=fixtures in one workerd,
 * every Worker with a tail Worker that records one event per invocation (infra/miniflare.ts), and /v1/recognize with
 * masks on a post of 8 entities, first on fresh isolates, then warm on a new image, then without masks. Each count
 * must equal infra/invocations.ts' plan for the answer's entities (so the plan that `npm run workers -- list` prints
 * and the config-time check rely on is the code's real behaviour) and stay under the platform's 32. Every model runs
 * in a Worker of its own here (STAGE_LOCAL_MODELS_MB=0), so part, shard and warm-up calls are all exercised.
 */
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countInvocations, INVOCATION_LIMIT } from '../../infra/invocations';
import { invocations, seedApiKey, startSplit, stopSplit, type Invocation, type Split } from '../../infra/miniflare';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { visionConfigFromEnv } from '../../shared/stages/config';
import type { Recording } from '../llm-server/recordings';
import { startLlmServer, type LlmServerHandle } from '../llm-server/server';
import { gradientPng } from '../support/png-node';

const ENV = { MODEL_SET: 'fixtures', MODEL_STORE: 'r2', STAGE_LOCAL_MODELS_MB: '0' };

const NAMES = ['Kevin Durant', 'Chase Center', 'Steph Curry', 'Golden State', 'San Francisco', 'Oakland Arena', 'Bay Bridge', 'Draymond Green'];
const POST: Recording = {
  id: 'inv8',
  text: `${NAMES.join(' and ')} , all in one night`,
  knowledge: `Named entities:${NAMES.map((n, i) => `${i + 1}. ${n} (${/Kevin|Steph|Draymond/.test(n) ? 'person' : 'place'}) `).join('')}`,
  expansions: NAMES.map((n) => ({ entity: `${n}(${/Kevin|Steph|Draymond/.test(n) ? 'PER' : 'LOC'})`, description: `${n}, pictured.` })),
} as Recording;

const png = (w: number, h: number, seed: number) => Buffer.from(gradientPng(w, h, seed)).toString('base64');

const perWorker = (xs: Invocation[]) => xs.reduce<Record<string, number>>((a, x) => ({ ...a, [x.worker]: (a[x.worker] ?? 0) + 1 }), {});

describe('Worker invocations per request, through real service bindings', () => {
  let split: Split;
  let mf: Miniflare;
  let llm: LlmServerHandle;
  let auth: Record<string, string>;
  beforeAll(async () => {
    llm = await startLlmServer({ port: 0, recordings: [POST] });
    split = await startSplit({ env: ENV, apiVars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded' }, countInvocations: true });
    mf = split.mf;
    auth = { authorization: `Bearer ${await seedApiKey(mf)}` };
    await invocations(split); // start-up and seeding are no request's
  }, 300_000);
  afterAll(async () => {
    if (split) await stopSplit(split);
    await llm?.close();
  });

  async function recognize(seed: number, masks: boolean) {
    const res = await mf.dispatchFetch('http://localhost/v1/recognize', {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: POST.text, image: { data: png(96, 64, seed), media_type: 'image/png' }, options: { masks } }),
    });
    const body = (await res.json()) as { entities: { groundable: boolean | null; box: unknown; mask: unknown }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const seen = await invocations(split);
    // Durable Object calls (the key's meter) are not service-binding calls; the limit counts the latter
    const counted = seen.filter((i) => i.model !== 'durableObject');
    const e = body.entities;
    const shape = { masks, entities: e.length, groundable: e.filter((x) => x.groundable).length, boxed: e.filter((x) => x.box).length };
    return { counted, shape, body };
  }

  const plan = async (shape: { masks: boolean; entities: number; groundable: number; boxed: number }, cold: boolean) => {
    const entries = await modelSetFromEnv(ENV).entries;
    return countInvocations(split.table, entries, visionConfigFromEnv(ENV, { entries }).config, { ...shape, cold });
  };

  it('8 entities with masks on fresh isolates: the count the plan gives, under the limit', async () => {
    const { counted, shape, body } = await recognize(1, true);
    expect(shape.entities, JSON.stringify(body)).toBe(8);
    const expected = await plan(shape, true);
    expect(perWorker(counted), JSON.stringify(counted)).toEqual(expected.byWorker);
    expect(counted.length).toBe(expected.total);
    expect(counted.length).toBeLessThanOrEqual(INVOCATION_LIMIT);
    console.log(`invocations, first request (${JSON.stringify(shape)}): ${counted.length}`);
  }, 120_000);

  it('the same post on a new image, warm isolates: fewer, as planned', async () => {
    const { counted, shape } = await recognize(2, true);
    const expected = await plan(shape, false);
    expect(perWorker(counted), JSON.stringify(counted)).toEqual(expected.byWorker);
    expect(counted.length).toBeLessThanOrEqual(INVOCATION_LIMIT);
    console.log(`invocations, warm (${JSON.stringify(shape)}): ${counted.length}`);
  }, 120_000);

  it('without masks the segment Worker and its model Workers are never invoked', async () => {
    const { counted, shape } = await recognize(3, false);
    expect(perWorker(counted)).toEqual((await plan(shape, false)).byWorker);
    expect(counted.some((i) => /segment|mobilesam|sam-decoder/.test(i.worker))).toBe(false);
  }, 120_000);
});
