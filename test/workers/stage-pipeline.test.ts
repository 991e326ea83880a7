/**
 * The three vision stages together behind the real orchestrator and the real image intake: a JPEG
 * whose EXIF orientation rotates it, an OWL-ViT letterbox input, MobileCLIP entailment deciding which
 * entities are groundable, and SAM masks. The fixture detector returns the brightest patch and the
 * fixture decoder returns the prompt box, so a white block drawn in the stored JPEG must come back,
 * after rotation, as the box and mask of every groundable entity at the display-frame pixels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rleDecode } from '../../shared/vision/rle';
import { DEFAULT_INTAKE_OPTIONS, intakeImage } from '../../shared/image/intake';
import type { RgbaImage } from '../../shared/image/types';
import { runPipeline } from '../../shared/pipeline/orchestrator';
import { MobileClipEntail, DEFAULT_NEGATIVES, DEFAULT_TEMPLATES } from '../../shared/stages/entail-mobileclip';
import { OwlGround } from '../../shared/stages/ground-owl';
import { SamSegment } from '../../shared/stages/segment-sam';
import { imageInput } from '../../shared/vision/image-input';
import { applyTemplate, naturalText, parseExpression } from '../../shared/pipeline/expression';
import type { LogisticCalibration } from '../../shared/vision/calibration';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';
import { fixtureTokenizers } from '../../models/fixtures/vision-tokenizer';
import { EventLog, RecognizerDouble, gate, recognized } from '../support/stage-doubles';
import { encodeJpeg, withOrientation } from '../support/images';
import { OWL_LETTERBOX_ID, fixtureSimilarity, visionBench, type VisionBench } from '../support/vision-fixtures';

let bench: VisionBench;
beforeAll(async () => {
  bench = await visionBench();
});

// Display frame 384 x 192 with a white block on OWL letterbox patch (5, 2) = [80, 96) x [32, 48).
const W = 384, H = 192;
const BLOCK = { x1: 80, y1: 32, x2: 96, y2: 48 };
const lit = (x: number, y: number) => x >= BLOCK.x1 && x < BLOCK.x2 && y >= BLOCK.y1 && y < BLOCK.y2;

/** The stored image that EXIF orientation 6 turns into the display frame: display (x, y) = stored (y, Hs-1-x). */
function storedForOrientation6(): RgbaImage {
  const ws = H, hs = W;
  const data = new Uint8Array(ws * hs * 4);
  for (let sy = 0; sy < hs; sy++) for (let sx = 0; sx < ws; sx++) {
    const x = hs - 1 - sy, y = sx;
    const v = lit(x, y) ? 255 : 0;
    data.set([v, v, v, 255], (sy * ws + sx) * 4);
  }
  return { width: ws, height: hs, data };
}

const TEXT = 'Kevin Durant and Houston at the NBA finals';
const ENTITIES = [
  { text: 'Kevin Durant', type: 'PER', expansion: 'Kevin Durant(PER)-An American basketball player of the Golden State Warriors' },
  { text: 'Houston', type: 'LOC', expansion: 'Houston(LOC)-A city in Texas, United States' },
  { text: 'NBA', type: 'ORG', expansion: 'NBA(ORG)' },
];

describe('entail -> ground -> segment behind the orchestrator', () => {
  it('rotates, letterboxes, skips the ungroundable, and returns the drawn block as box and mask', async () => {
    const jpeg = withOrientation(await encodeJpeg(storedForOrientation6(), 95), 6);
    const intake = async () => {
      const r = await intakeImage({ kind: 'bytes', bytes: jpeg }, DEFAULT_INTAKE_OPTIONS, { decoder: imageDecoder() });
      return { image: r.image, warnings: r.warnings };
    };

    // A calibration that makes the two long expressions groundable and "NBA" not: the fixture towers'
    // similarity grows with the number of distinct tokens, so cut between NBA and Houston.
    const display = (await intake()).image.pixels;
    expect([display.width, display.height]).toEqual([W, H]);
    const mc = bench.entries.find((e) => e.id === 'mobileclip-s0-vision')!;
    if (mc.preprocessing.kind !== 'image') throw new Error('unexpected preprocessing');
    const px = imageInput(display, mc.preprocessing).data;
    const plane = px.length / 3;
    const means = [0, 1, 2].map((c) => px.subarray(c * plane, (c + 1) * plane).reduce((a, v) => a + v, 0) / plane) as [number, number, number];
    const tok = await fixtureTokenizers('mobileclip-s0-text', bench.entries.find((e) => e.id === 'mobileclip-s0-text')!);
    const sims = ENTITIES.map((e) => fixtureSimilarity(DEFAULT_TEMPLATES.map((t) => tok.encode(applyTemplate(t, naturalText(parseExpression(e.expansion)))).ids), means));
    expect(sims[2]).toBeLessThan(Math.min(sims[0], sims[1]));
    const cut = (sims[2] + Math.min(sims[0], sims[1])) / 2;
    const calibration: LogisticCalibration = { weights: { similarity: 5, margin: 0 }, bias: -5 * cut, threshold: 0.5, source: 'fitted' };

    const stages = {
      recognize: new RecognizerDouble(new EventLog(), recognized(ENTITIES, TEXT)),
      entail: new MobileClipEntail(bench.models, { visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', calibration, negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize: 4 }),
      ground: new OwlGround(bench.models, { imageModel: OWL_LETTERBOX_ID, queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 4 }),
      segment: new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 }),
    };
    const runs = (id: string) => bench.runs.get(id) ?? 0;
    const before = { vision: runs('mobileclip-s0-vision'), owl: runs(OWL_LETTERBOX_ID), query: runs('owlvit-b32-query'), enc: runs('mobilesam-encoder'), dec: runs('sam-decoder-a') };

    const result = await runPipeline({ text: TEXT, labels: 'gmner', masks: true, request_id: 'r1' }, intake, stages);

    expect(result.entities.map((e) => e.groundable)).toEqual([true, true, false]);
    for (const e of result.entities.slice(0, 2)) {
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(e.box![k]).toBeCloseTo(BLOCK[k], 3);
      expect(e.mask!.size).toEqual([H, W]);
      expect(e.mask!.area).toBe(16 * 16);
      const bits = rleDecode(e.mask!);
      let wrong = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (bits[y * W + x] !== (lit(x, y) ? 1 : 0)) wrong++;
      expect(wrong).toBe(0);
    }
    expect(result.entities[2].box).toBeNull();
    expect(result.entities[2].mask).toBeNull();
    expect(result.entities[2].entailment_score).toBeLessThan(0.5);

    // once per image; the ungroundable entity never reached the detector or the decoder
    expect(runs('mobileclip-s0-vision') - before.vision).toBe(1);
    expect(runs(OWL_LETTERBOX_ID) - before.owl).toBe(1);
    expect(runs('owlvit-b32-query') - before.query).toBe(1);
    expect(bench.lastDims.get('owlvit-b32-query')?.input_ids).toEqual([2, 16]);
    expect(runs('mobilesam-encoder') - before.enc).toBe(1);
    expect(runs('sam-decoder-a') - before.dec).toBe(2);
    expect(Object.keys(result.timings_ms)).toEqual(expect.arrayContaining(['entail_prepare', 'ground_prepare', 'segment_prepare', 'entail', 'ground', 'segment']));
  });

  it('without masks the SAM encoder never runs', async () => {
    const img: RgbaImage = { width: 64, height: 32, data: new Uint8Array(64 * 32 * 4).fill(200) };
    const intake = async () => ({ image: { width: 64, height: 32, format: 'png' as const, bytes: 1, sha256: 'a'.repeat(64), pixels: img, scale: 1 }, warnings: [] });
    const before = bench.runs.get('mobilesam-encoder') ?? 0;
    const always: LogisticCalibration = { weights: { similarity: 0, margin: 0 }, bias: 5, threshold: 0.5, source: 'fitted' };
    const result = await runPipeline({ text: TEXT, labels: 'gmner', masks: false, request_id: 'r2' }, intake, {
      recognize: new RecognizerDouble(new EventLog(), recognized(ENTITIES.slice(0, 1), TEXT)),
      entail: new MobileClipEntail(bench.models, { visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', calibration: always, negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize: 4 }),
      ground: new OwlGround(bench.models, { imageModel: 'owlvit-b32-image', queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 4 }),
      segment: new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 }),
    });
    expect(result.entities[0].box).not.toBeNull();
    expect(result.entities[0].mask).toBeNull();
    expect(bench.runs.get('mobilesam-encoder') ?? 0).toBe(before);
  });

  it('starts the image towers while the LLM call is still in flight', async () => {
    const img: RgbaImage = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 4).fill(60) };
    const intake = async () => ({ image: { width: 96, height: 64, format: 'png' as const, bytes: 1, sha256: 'b'.repeat(64), pixels: img, scale: 1 }, warnings: [] });
    const llm = gate();
    const before = { vision: bench.runs.get('mobileclip-s0-vision') ?? 0, owl: bench.runs.get('owlvit-b32-image') ?? 0, enc: bench.runs.get('mobilesam-encoder') ?? 0 };
    const always: LogisticCalibration = { weights: { similarity: 0, margin: 0 }, bias: 5, threshold: 0.5, source: 'fitted' };
    const done = runPipeline({ text: TEXT, labels: 'gmner', masks: true, request_id: 'r3' }, intake, {
      recognize: new RecognizerDouble(new EventLog(), recognized(ENTITIES.slice(0, 1), TEXT), llm.promise),
      entail: new MobileClipEntail(bench.models, { visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', calibration: always, negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize: 4 }),
      ground: new OwlGround(bench.models, { imageModel: 'owlvit-b32-image', queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 4 }),
      segment: new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 }),
    });
    // the recognizer is held: the image tower, OWL-ViT's image part and the SAM encoder must still run
    const pending = () => ['mobilesam-encoder', 'mobileclip-s0-vision', 'owlvit-b32-image'].some((id, i) => (bench.runs.get(id) ?? 0) === [before.enc, before.vision, before.owl][i]);
    for (let i = 0; i < 200 && pending(); i++) await new Promise((r) => setTimeout(r, 10));
    expect((bench.runs.get('mobileclip-s0-vision') ?? 0) - before.vision).toBe(1);
    expect((bench.runs.get('owlvit-b32-image') ?? 0) - before.owl).toBe(1);
    expect((bench.runs.get('mobilesam-encoder') ?? 0) - before.enc).toBe(1);
    llm.open();
    const result = await done;
    expect(result.entities[0].mask).not.toBeNull();
    // and not again after the LLM answered
    expect((bench.runs.get('mobileclip-s0-vision') ?? 0) - before.vision).toBe(1);
    expect((bench.runs.get('owlvit-b32-image') ?? 0) - before.owl).toBe(1);
    expect((bench.runs.get('mobilesam-encoder') ?? 0) - before.enc).toBe(1);
  });
});
