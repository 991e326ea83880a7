/**
 * Every fixture model through the real runtime inside workerd (onnxruntime-web wasm, precompiled module):
 * the outputs must be exactly what each fixture's documented behaviour predicts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { workerdOrt } from '../../shared/onnx/ort-workerd';
import type { ModelRuntime } from '../../shared/onnx/model-runtime';
import { DECODER_A_IOU } from '../../models/fixtures/sam-decoder-a';
import { DECODER_B_IOU } from '../../models/fixtures/sam-decoder-b';
import { createModelRuntime } from '../../models/runtime-from-env';
import { decoderAFeeds, decoderBFeeds, encoderFeeds, insideBox, owlImageFeeds, owlQueryFeeds, positive, textExpected, textFeeds, visionFeeds } from '../helpers/model-fixtures';

let rt: ModelRuntime;
beforeAll(() => {
  rt = createModelRuntime({ MODEL_SET: 'fixtures', MODEL_STORE: 'origin' }, workerdOrt);
});

describe('fixture models in workerd', () => {
  it('mobileclip-s0-vision: image_embeds[j] is the mean of channel j mod 3', async () => {
    const out = await rt.run('mobileclip-s0-vision', visionFeeds(0.25, 0.5, 1));
    expect(out.image_embeds.dims).toEqual([1, 512]);
    expect(Array.from(out.image_embeds.data as Float32Array).slice(0, 6)).toEqual([0.25, 0.5, 1, 0.25, 0.5, 1]);
    expect(out.image_embeds.data[511]).toBe(0.5); // 511 mod 3 = 1
  });

  it('mobileclip-s0-text: text_embeds is the bag of token ids modulo 512', async () => {
    const ids = [49406, 320, 1125, 539, 49407];
    const out = await rt.run('mobileclip-s0-text', textFeeds(ids));
    expect(Array.from(out.text_embeds.data as Float32Array)).toEqual(textExpected(ids));
  });

  it('owlvit-b32-image: logit_shift is each patch\'s brightness, scale 4, unit class embeddings, each patch its own box', async () => {
    const out = await rt.run('owlvit-b32-image', owlImageFeeds(5, 7));
    expect(out.image_class_embeds.dims).toEqual([1, 576, 512]);
    expect(out.logit_shift.dims).toEqual([1, 576, 1]);
    expect(out.logit_scale.dims).toEqual([1, 576, 1]);
    expect(out.pred_boxes.dims).toEqual([1, 576, 4]);
    const n = 7 * 24 + 5;
    const shift = out.logit_shift.data as Float32Array;
    expect(shift[n]).toBe(1);
    expect(shift.reduce((a, v) => a + v, 0)).toBe(1);
    expect(new Set(out.logit_scale.data as Float32Array)).toEqual(new Set([4]));
    const e = out.image_class_embeds.data as Float32Array;
    expect(Math.hypot(...e.subarray(n * 512, n * 512 + 512))).toBeCloseTo(1, 5);
    const box = Array.from((out.pred_boxes.data as Float32Array).slice(n * 4, n * 4 + 4));
    [5.5 / 24, 7.5 / 24, 1 / 24, 1 / 24].forEach((v, i) => expect(box[i]).toBeCloseTo(v, 6));
  });

  it('owlvit-b32-query: query_embeds is the bag of attended ids modulo 512', async () => {
    const out = await rt.run('owlvit-b32-query', owlQueryFeeds([[49406, 320, 832, 49407, 7], [1, 513, 2]], [4, 3]));
    expect(out.query_embeds.dims).toEqual([2, 512]);
    const q = out.query_embeds.data as Float32Array;
    const bag0 = new Float32Array(512);
    for (const id of [49406, 320, 832, 49407]) bag0[id % 512]++; // the unattended 7 is not counted
    expect(Array.from(q.subarray(0, 512))).toEqual(Array.from(bag0));
    expect([q[512 + 1], q[512 + 2], q[512 + 7]]).toEqual([2, 1, 0]); // 513 ≡ 1
  });

  it('mobilesam-encoder: a uniform colour gives planes of colour/255', async () => {
    const out = await rt.run('mobilesam-encoder', encoderFeeds(300, 400, [255, 51, 102]));
    expect(out.image_embeddings.dims).toEqual([1, 256, 64, 64]);
    const e = out.image_embeddings.data as Float32Array;
    for (const k of [0, 1, 2, 100, 255]) expect(e[k * 4096 + 123]).toBeCloseTo([1, 0.2, 0.4][k % 3], 6);
  });

  it('sam-decoder-a: the full-size mask is the prompt box, the low-res mask the box in the 1024 frame', async () => {
    const [h, w] = [120, 160];
    const box: [number, number, number, number] = [30, 20, 100, 90];
    const out = await rt.run('sam-decoder-a', decoderAFeeds(box, h, w));
    expect(out.masks.dims).toEqual([1, 4, h, w]);
    expect(Array.from(out.iou_predictions.data as Float32Array).map((v) => +v.toFixed(6))).toEqual(DECODER_A_IOU);
    const masks = out.masks.data as Float32Array;
    const expected = insideBox(h, w, 1, box);
    for (let k = 0; k < 4; k++) expect(positive(masks, k * h * w, h * w)).toEqual(expected);
    const s = 1024 / w;
    expect(positive(out.low_res_masks.data as Float32Array, 0, 65536)).toEqual(insideBox(256, 256, 4, box.map((v) => v * s)));
  });

  it('sam-decoder-b: one low-res mask per input box, and the fixed scores', async () => {
    const boxes: [number, number, number, number][] = [[100, 200, 300, 260], [0, 0, 1024, 512]];
    const out = await rt.run('sam-decoder-b', decoderBFeeds(boxes));
    expect(out.pred_masks.dims).toEqual([1, 2, 3, 256, 256]);
    expect(Array.from(out.iou_scores.data as Float32Array).map((v) => +v.toFixed(6))).toEqual([...DECODER_B_IOU, ...DECODER_B_IOU]);
    const m = out.pred_masks.data as Float32Array;
    boxes.forEach((b, p) => {
      for (let k = 0; k < 3; k++) expect(positive(m, (p * 3 + k) * 65536, 65536)).toEqual(insideBox(256, 256, 4, b));
    });
  });
});
