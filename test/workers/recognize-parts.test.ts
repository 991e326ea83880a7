/**
 * The pipeline parts (recognizer, stages, image intake, stage description) are built once per environment: a second
 * request reaches the model layer zero times, while the answer's `models` still reports which sessions are loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { localModels, useLocalModels } from '../../functions/api/recognize';
import type { ModelLayer } from '../../shared/stages/host';
import { issueKey, llmEnv, post, recognizeBody } from '../support/accounts';

const app = createApp();
const real = localModels()!;
/** Calls into the model layer (runtime, entries, tokenizers), which is where building the parts starts. */
let layerCalls = 0;
const counted: ModelLayer = {
  runtime: (e) => (layerCalls++, real.runtime(e)),
  entries: (e) => (layerCalls++, real.entries(e)),
  tokenizers: (e) => (layerCalls++, real.tokenizers(e)),
  calibration: real.calibration,
};
let auth: Record<string, string>;
beforeAll(async () => {
  auth = (await issueKey({ name: 'recognize-parts' })).auth;
  useLocalModels(counted);
});
afterAll(() => useLocalModels(real));

describe('pipeline parts per environment', () => {
  it('a second recognition and a second GET /v1/models do not rebuild them; `loaded` stays live', async () => {
    const { env } = llmEnv('recorded', { MODEL_SET: 'fixtures' });
    const before = await app.request('/v1/models', { headers: auth }, env);
    expect(before.status).toBe(200);
    const built = layerCalls;
    expect(built).toBeGreaterThan(0);
    const rows = (await before.json<{ stages: { stage: string; loaded: boolean | null }[] }>()).stages;
    expect(rows.find((s) => s.stage === 'entail')!.loaded).toBe(false);

    const first = await app.request('/v1/recognize', post(await recognizeBody(), auth), env);
    expect(first.status).toBe(200);
    const second = await app.request('/v1/recognize', post(await recognizeBody(), auth), env);
    expect(second.status).toBe(200);
    const after = await app.request('/v1/models', { headers: auth }, env);
    expect(layerCalls).toBe(built);

    // The entail session was loaded by the first recognition: the cached description still sees it.
    const answer = await second.json<{ models: Record<string, { loaded: boolean | null }> }>();
    expect(answer.models.entail.loaded).toBe(true);
    expect((await after.json<{ stages: { stage: string; loaded: boolean | null }[] }>()).stages.find((s) => s.stage === 'entail')!.loaded).toBe(true);
  });

  it('another environment gets its own parts', async () => {
    const calls = layerCalls;
    const { env } = llmEnv('recorded', { MODEL_SET: 'fixtures' });
    expect((await app.request('/v1/models', { headers: auth }, env)).status).toBe(200);
    expect(layerCalls).toBeGreaterThan(calls);
  });
});
