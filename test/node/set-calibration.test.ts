/// <reference types="node" />
/**
 * A model set carries its own entailment calibration (models/runtime-from-env.ts), and it reaches the entail stage
 * through the model layer, the way any calibration does: the look-alike set's open gate makes every entity
 * groundable, so the ground and segment graphs run. Fixture towers stand in for the look-alike files (CI-sized);
 * only the calibration is the set's.
 */
import { describe, expect, it } from 'vitest';
import { LOOKALIKE_CALIBRATION } from '../../models/lookalikes';
import { modelLayer } from '../../models/model-layer';
import { modelSetFromEnv } from '../../models/runtime-from-env';
import { nodeOrt } from '../../shared/onnx/ort-node';
import type { MobileClipEntail } from '../../shared/stages/entail-mobileclip';
import { visionStagesFromEnv } from '../../shared/stages/from-env';
import { hostStage } from '../../shared/stages/host';
import { DEFAULT_ENTAIL_CALIBRATION, decide } from '../../shared/vision/calibration';

const EXPRESSIONS = [
  'Kevin Durant(PER)-An American basketball player of the Golden State Warriors.',
  'Houston(LOC)-A city in Texas',
  'NBA(ORG)',
  'Warriors(ORG)-A basketball team',
];

function solid(w: number, h: number, rgb: [number, number, number]) {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return { width: w, height: h, data };
}

describe('a model set\'s entailment calibration', () => {
  it('the look-alike set declares the open gate under its own name; the other sets declare none', () => {
    expect(modelSetFromEnv({ MODEL_SET: 'lookalikes' }).calibration).toEqual(LOOKALIKE_CALIBRATION);
    expect(LOOKALIKE_CALIBRATION.source).toBe('lookalike-open-gate');
    expect(modelSetFromEnv({ MODEL_SET: 'fixtures' }).calibration).toBeUndefined();
    expect(modelSetFromEnv({ MODEL_SET: 'default' }).calibration).toBeUndefined();
    expect(modelLayer(nodeOrt).calibration!({ MODEL_SET: 'lookalikes' })).toBe(LOOKALIKE_CALIBRATION);
    // the answer's models.entail reports the set's calibration, also where entail runs in another Worker
    expect(visionStagesFromEnv({ MODEL_SET: 'lookalikes' }, { entries: [], calibration: modelSetFromEnv({ MODEL_SET: 'lookalikes' }).calibration }).calibration).toBe('lookalike-open-gate');
  });

  it('reaches the entail stage through the model layer and changes its decisions', async () => {
    const fixtures = modelLayer(nodeOrt);
    // the fixture models, with the calibration the look-alike set's layer hands out
    const layer = { ...fixtures, calibration: () => fixtures.calibration!({ MODEL_SET: 'lookalikes' }) };
    const env = { MODEL_SET: 'fixtures', MODEL_STORE: 'origin', VISION_CACHE_IMAGES: '3' };
    const stage = (await hostStage('entail', env, layer)) as MobileClipEntail;
    expect(stage.calibration.source).toBe('lookalike-open-gate');

    const image = solid(96, 64, [10, 250, 90]);
    const features = await stage.features(image, 'cal-1', EXPRESSIONS);
    const byDefault = features.map((f) => decide(f, DEFAULT_ENTAIL_CALIBRATION));
    // the default calibration turns some of these away, so the set's calibration has something to change
    expect(byDefault.some((d) => !d.groundable)).toBe(true);
    const out = await stage.entail(image, 'cal-1', EXPRESSIONS);
    expect(out.every((d) => d.groundable)).toBe(true);
    // same features and weights: only the gate moved
    out.forEach((d, i) => expect(d.score).toBeCloseTo(byDefault[i].score, 6));

    // the plain fixture layer (no set calibration) keeps the default decisions
    const plain = (await hostStage('entail', { ...env, VISION_CACHE_IMAGES: '2' }, fixtures)) as MobileClipEntail;
    expect(plain.calibration).toBe(DEFAULT_ENTAIL_CALIBRATION);
    expect((await plain.entail(image, 'cal-1', EXPRESSIONS)).map((d) => d.groundable)).toEqual(byDefault.map((d) => d.groundable));
  });
});
