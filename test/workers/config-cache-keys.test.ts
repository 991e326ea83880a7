/**
 * A stage host rebuilds its stage when any variable of the stage's scope changes (shared/config-variables.ts): the
 * key is made from the declaration, so a variable the stage reads cannot be left out of it.
 */
import { describe, expect, it } from 'vitest';
import { scopeVariables } from '../../shared/config-variables';
import { hostStage, type ModelLayer } from '../../shared/stages/host';

// the hosted-VLM grounder needs no models, so no store or runtime is touched
const layer: ModelLayer = {
  runtime: () => { throw new Error('no model runtime in this test'); },
  entries: () => [],
  tokenizers: () => { throw new Error('no tokenizers in this test'); },
};
const VLM = { GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'http://vlm.test/v1', VLM_API_KEY: 'k', VLM_MODEL: 'm' };
const settled = <T>(p: Promise<T>) => { p.catch(() => undefined); return p; };

describe('stage host cache key', () => {
  it('the same configuration reuses the built stage', async () => {
    const a = hostStage('ground', { ...VLM }, layer);
    expect(hostStage('ground', { ...VLM }, layer)).toBe(a);
    expect(await a).toBeTruthy();
  });

  it('a change to any stage-scope variable builds the stage anew (VLM_TIMEOUT_MS, VLM_MAX_RETRIES, ... included)', () => {
    const base = hostStage('ground', { ...VLM }, layer);
    const reused = scopeVariables('stage').filter((name) => settled(hostStage('ground', { ...VLM, [name]: '7' }, layer)) === base);
    expect(reused).toEqual([]);
    expect(scopeVariables('stage')).toEqual(expect.arrayContaining(['VLM_TIMEOUT_MS', 'VLM_MAX_RETRIES', 'VLM_JSON_SCHEMA', 'PART_TIMEOUT_MS']));
  });
});
