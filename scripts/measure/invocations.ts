/// <reference types="node" />
/**
 * `npx tsx scripts/measure/invocations.ts [--set lookalikes|fixtures|default] [--persist .wrangler/state] [--entities 8]`
 *
 * Counts the Worker invocations of real /v1/recognize requests in the split deployment of a set: every Worker of
 * infra/workers.ts in one workerd, each with a tail Worker recording one event per invocation (infra/miniflare.ts),
 * the recorded LLM answering a post of N entities. Three requests: with masks on fresh isolates, with masks warm on a
 * new image, without masks. Prints each count per Worker beside the plan of infra/invocations.ts (what
 * `npm run workers -- list` shows). Model files come from the local R2 in --persist (`npm run models -- lookalikes
 * --publish-local` puts the look-alikes there); the api's D1 is made fresh in a temporary folder beside it.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { countInvocations, INVOCATION_LIMIT } from '../../infra/invocations';
import { invocations, seedApiKey, startSplit, stopSplit, type Invocation } from '../../infra/miniflare';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { visionConfigFromEnv } from '../../shared/stages/config';
import { startLlmServer } from '../../test/llm-server/server';
import type { Recording } from '../../test/llm-server/recordings';
import { gradientPng } from '../../test/support/png-node';

const { values: v } = parseArgs({ options: { set: { type: 'string' }, persist: { type: 'string' }, entities: { type: 'string' } } });
const SET = v.set ?? 'lookalikes';
const N = Number(v.entities ?? 8);
const ENV = { MODEL_SET: SET, MODEL_STORE: 'r2' };

const names = Array.from({ length: N }, (_, i) => `Entity${String.fromCharCode(65 + (i % 26))}${i} Place`);
const POST: Recording = {
  id: 'measure-invocations',
  text: `${names.join(' and ')} , all in one picture`,
  knowledge: `Named entities:${names.map((n, i) => `${i + 1}. ${n} (place) `).join('')}`,
  expansions: names.map((n) => ({ entity: `${n}(LOC)`, description: `${n}, pictured.` })),
};

const png = (w: number, h: number, seed: number) => Buffer.from(gradientPng(w, h, seed)).toString('base64');

// the model files from the persisted local R2, everything else (D1, Durable Objects) fresh
const persist = mkdtempSync(join(tmpdir(), 'gmner-invocations-'));
mkdirSync(join(persist, 'v3'));
symlinkSync(resolve(v.persist ?? '.wrangler/state', 'v3', 'r2'), join(persist, 'v3', 'r2'));

const llm = await startLlmServer({ port: 0, recordings: [POST] });
const split = await startSplit({ env: ENV, apiVars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded' }, countInvocations: true, persist });
try {
  const auth = `Bearer ${await seedApiKey(split.mf)}`;
  await invocations(split);
  const entries = await modelSetFromEnv(ENV).entries;
  const { config } = visionConfigFromEnv(ENV, { entries });
  const byWorker = (xs: Invocation[]) => xs.reduce<Record<string, number>>((a, x) => ({ ...a, [x.worker]: (a[x.worker] ?? 0) + 1 }), {});
  for (const [label, seed, masks, cold] of [['masks, fresh isolates', 1, true, true], ['masks, warm, new image', 2, true, false], ['no masks, warm, new image', 3, false, false]] as const) {
    const t0 = performance.now();
    const res = await split.mf.dispatchFetch('http://localhost/v1/recognize', {
      method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: POST.text, image: { data: png(320, 240, seed), media_type: 'image/png' }, options: { masks } }),
    });
    const body = (await res.json()) as { entities?: { groundable: boolean | null; box: unknown }[]; detail?: string };
    const ms = performance.now() - t0;
    const counted = (await invocations(split)).filter((i) => i.model !== 'durableObject');
    const e = body.entities ?? [];
    const shape = { masks, entities: e.length, groundable: e.filter((x) => x.groundable).length, boxed: e.filter((x) => x.box).length, cold };
    const plan = countInvocations(split.table, entries, config, shape);
    const got = byWorker(counted);
    const same = JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(plan.byWorker).sort());
    console.log(`${SET}, ${label}: HTTP ${res.status} in ${(ms / 1000).toFixed(1)} s, ${JSON.stringify({ ...shape, cold: undefined })}: ` +
      `counted ${counted.length} invocations, plan ${plan.total} (${same ? 'same per Worker' : 'DIFFERENT per Worker'}), limit ${INVOCATION_LIMIT}${res.status !== 200 ? `; ${body.detail}` : ''}`);
    if (!same) console.log(`  counted ${JSON.stringify(got)}\n  plan    ${JSON.stringify(plan.byWorker)}`);
  }
} finally {
  await stopSplit(split);
  await llm.close();
}
