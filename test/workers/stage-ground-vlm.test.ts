/**
 * The hosted-VLM grounder through the real chat client (openai SDK, retries) against an endpoint
 * that answers with fixed completions in Gemini's and Qwen-VL's box conventions.
 */
import { describe, expect, it } from 'vitest';
import { createVisionStages, visionConfigFromEnv } from '../../shared/stages';
import type { RgbaImage } from '../../shared/image/types';
import { ProblemError } from '../../shared/problems';
import { GEMINI_FENCED, QWEN25_LABELLED, QWEN3_NUMBERED, REFUSAL, answeringFetch, pngSize } from '../support/vision-vlm-answers';

const grey = (w: number, h: number): RgbaImage => ({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(90) });

function vlmStage(format: string, answers: string[]) {
  const { fetch, requests } = answeringFetch(answers);
  const r = visionConfigFromEnv(
    { GROUND_PROVIDER: 'vlm', VLM_BASE_URL: 'http://vlm.test/v1', VLM_API_KEY: 'k', VLM_MODEL: `model-${format}`, VLM_BOX_FORMAT: format, VLM_MAX_RETRIES: '0' },
    { entries: [] },
  );
  expect(r.missing.ground).toBeUndefined();
  const { ground } = createVisionStages({ ...r.config, entail: null, segment: null }, { fetch });
  return { ground: ground!, requests };
}

const EXPRESSIONS = [
  'Kevin Durant(PER)-An American basketball player.',
  'Houston(LOC)-A city in Texas',
  'NBA(ORG)',
];

const close = (actual: unknown, expected: Record<string, number>) => {
  const a = actual as Record<string, number>;
  for (const k of Object.keys(expected)) expect(a[k]).toBeCloseTo(expected[k], 6);
};

describe('hosted-VLM grounding', () => {
  it('Gemini: box_2d [ymin, xmin, ymax, xmax] / 1000, null for not visible; one request per post', async () => {
    const { ground, requests } = vlmStage('gemini', [GEMINI_FENCED]);
    const out = await ground.ground(grey(400, 300), 'v1', EXPRESSIONS);
    close(out[0]?.box, { x1: 100, y1: 30, x2: 300, y2: 150 });
    expect(out[1]).toBeNull();
    close(out[2]?.box, { x1: 0, y1: 0, x2: 400, y2: 300 });
    expect(requests).toHaveLength(1);
    const req = requests[0];
    expect(req.url).toBe('http://vlm.test/v1/chat/completions');
    const parts = req.body.messages[1].content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(parts[0].image_url!.url).toMatch(/^data:image\/png;base64,/);
    expect(pngSize(parts[0].image_url!.url)).toEqual({ width: 400, height: 300 });
    expect(parts[1].text).toContain('1. Kevin Durant — An American basketball player');
    expect(parts[1].text).toContain('3. NBA\n');
    expect(parts[1].text).toContain('"box_2d": [ymin, xmin, ymax, xmax]');
    expect(req.body.response_format?.type).toBe('json_schema');
  });

  it('Qwen2.5-VL: bbox_2d in pixels of the image it saw, which is sent at its smart_resize size', async () => {
    const { ground, requests } = vlmStage('qwen2.5', [QWEN25_LABELLED]);
    const out = await ground.ground(grey(1000, 500), 'v2', EXPRESSIONS.slice(0, 2));
    const parts = requests[0].body.messages[1].content as Array<{ image_url?: { url: string } }>;
    expect(pngSize(parts[0].image_url!.url)).toEqual({ width: 1008, height: 504 });
    close(out[0]?.box, { x1: (201 * 1000) / 1008, y1: (50 * 500) / 504, x2: (806 * 1000) / 1008, y2: 250 });
    close(out[1]?.box, { x1: 0, y1: 0, x2: 500, y2: 500 });
  });

  it('Qwen3-VL: bbox_2d [x1, y1, x2, y2] / 1000; an inverted box costs only its entity', async () => {
    const { ground } = vlmStage('qwen3', [QWEN3_NUMBERED]);
    const out = await ground.ground(grey(1000, 500), 'v3', EXPRESSIONS.slice(0, 2));
    close(out[0]?.box, { x1: 200, y1: 50, x2: 800, y2: 250 });
    expect(out[1]).toBeNull();
  });

  it('asks once more after an unreadable answer', async () => {
    const { ground, requests } = vlmStage('gemini', [REFUSAL, GEMINI_FENCED]);
    const out = await ground.ground(grey(400, 300), 'v4', EXPRESSIONS);
    expect(requests).toHaveLength(2);
    expect(out[0]).not.toBeNull();
  });

  it('fails the stage after two unreadable answers', async () => {
    const { ground } = vlmStage('gemini', [REFUSAL, REFUSAL]);
    const err = await ground.ground(grey(400, 300), 'v5', EXPRESSIONS).catch((e) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).kind).toBe('stage-failed');
    expect((err as ProblemError).message).toMatch(/twice without a readable box list/);
  });

  it('shrinks large images to VLM_MAX_SIDE before sending (once per image)', async () => {
    const { ground, requests } = vlmStage('gemini', [GEMINI_FENCED, GEMINI_FENCED]);
    const img = grey(2048, 1024);
    await ground.prepare!(img, 'v6');
    const out = await ground.ground(img, 'v6', EXPRESSIONS);
    await ground.ground(img, 'v6', EXPRESSIONS);
    const parts = requests[0].body.messages[1].content as Array<{ image_url?: { url: string } }>;
    expect(pngSize(parts[0].image_url!.url)).toEqual({ width: 1024, height: 512 });
    expect((requests[1].body.messages[1].content as Array<{ image_url?: { url: string } }>)[0].image_url!.url).toBe(parts[0].image_url!.url);
    // boxes still come back in the image's own pixels
    close(out[0]?.box, { x1: 512, y1: 102.4, x2: 1536, y2: 512 });
  });

  it('reports the VLM_* variables that are missing', () => {
    const r = visionConfigFromEnv({ GROUND_PROVIDER: 'vlm', VLM_BOX_FORMAT: 'pixels' }, { entries: [] });
    expect(r.config.ground).toBeNull();
    expect(r.missing.ground).toEqual(expect.arrayContaining(['VLM_BOX_FORMAT', 'VLM_MODEL', 'VLM_BASE_URL', 'VLM_API_KEY']));
  });
});
