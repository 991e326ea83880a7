/**
 * segment end to end: the real SAM stage over the real runtime with fixture models whose mask is
 * exactly the prompt box, so every expected pixel is known independently of the stage's code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rleArea, rleDecode, rleEncode } from '../../shared/vision/rle';
import { SamSegment } from '../../shared/stages/segment-sam';
import type { Box } from '../../shared/pipeline/contracts';
import type { RgbaImage } from '../../shared/image/types';
import { DECODER_A_IOU } from '../../models/fixtures/sam-decoder-a';
import { DECODER_B_IOU } from '../../models/fixtures/sam-decoder-b';
import { SAM_ENCODER_B_ID } from '../../models/fixtures/vision-sam-encoder-b';
import { visionBench, type VisionBench } from '../support/vision-fixtures';

let bench: VisionBench;
beforeAll(async () => {
  bench = await visionBench();
});

const grey = (width: number, height: number): RgbaImage => ({ width, height, data: new Uint8Array(width * height * 4).fill(128) });

/** Row-major bitmap of the pixels whose centres lie strictly inside the box (scaled by k). */
function boxBitmap(w: number, h: number, b: Box, k = 1): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const cx = x + 0.5, cy = y + 0.5;
    if (cx > b.x1 * k && cx < b.x2 * k && cy > b.y1 * k && cy < b.y2 * k) out[y * w + x] = 1;
  }
  return out;
}

const differing = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

describe('segment with the official SAM decoder export (contract A)', () => {
  const stage = () => new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 });
  const boxes: Box[] = [{ x1: 30, y1: 20, x2: 100, y2: 90 }, { x1: 0, y1: 0, x2: 40, y2: 12 }];

  it('returns each box as its mask, RLE at the image size, scored by the selected token', async () => {
    const s = stage();
    const img = grey(160, 120);
    const segs = await s.segment(img, 'img-a1', boxes, { width: 160, height: 120 });
    expect(segs).toHaveLength(2);
    segs.forEach((seg, i) => {
      expect(seg.mask.size).toEqual([120, 160]);
      const bits = rleDecode(seg.mask);
      expect(differing(bits, boxBitmap(160, 120, boxes[i]))).toBe(0);
      expect(seg.area).toBe(bits.reduce((a, v) => a + v, 0));
      expect(seg.area).toBe(rleArea(seg.mask));
      // box prompt: token 0 is pushed down by select_masks, the best multimask IoU (index 1) wins
      expect(seg.score).toBeCloseTo(DECODER_A_IOU[1], 6);
    });
    expect(segs[0].area).toBe(70 * 70);
    expect(segs[1].area).toBe(40 * 12);
  });

  it('round-trips the RLE: encode(decode(mask)) is the same string', async () => {
    const [seg] = await stage().segment(grey(160, 120), 'img-a2', [boxes[0]], { width: 160, height: 120 });
    const bits = rleDecode(seg.mask);
    expect(rleEncode(bits, 120, 160)).toEqual(seg.mask);
  });

  it('answers at a larger output frame (platform downscale) from the low-res logits', async () => {
    const [seg] = await stage().segment(grey(160, 120), 'img-a3', [boxes[0]], { width: 320, height: 240 });
    expect(seg.mask.size).toEqual([240, 320]);
    const bits = rleDecode(seg.mask);
    const expected = boxBitmap(320, 240, boxes[0], 2);
    // the fixture's logits are linear in the distance to the box edges and bilinear resampling keeps
    // them linear, so the zero crossing lands exactly on the scaled box edges
    expect(differing(bits, expected)).toBe(0);
    expect(seg.area).toBe(140 * 140);
    expect(bits[120 * 320 + 130]).toBe(1); // inside, well away from the edges
    expect(bits[30 * 320 + 50]).toBe(0); // outside
  });

  it('runs the encoder once per image, and one decoder run per box', async () => {
    const s = stage();
    const before = { enc: bench.runs.get('mobilesam-encoder') ?? 0, dec: bench.runs.get('sam-decoder-a') ?? 0 };
    const img = grey(160, 120);
    await s.prepare(img, 'img-a4');
    await s.segment(img, 'img-a4', boxes, { width: 160, height: 120 });
    await s.segment(img, 'img-a4', [boxes[0]], { width: 160, height: 120 });
    expect((bench.runs.get('mobilesam-encoder') ?? 0) - before.enc).toBe(1);
    expect((bench.runs.get('sam-decoder-a') ?? 0) - before.dec).toBe(3);
  });

  it('runs nothing for no boxes', async () => {
    const before = bench.runs.get('sam-decoder-a') ?? 0;
    expect(await stage().segment(grey(10, 10), 'img-a5', [], { width: 10, height: 10 })).toEqual([]);
    expect(bench.runs.get('sam-decoder-a') ?? 0).toBe(before);
  });
});

describe('segment with the transformers.js decoder export (contract B)', () => {
  const stage = () => new SamSegment(bench.models, { encoderModel: SAM_ENCODER_B_ID, decoderModel: 'sam-decoder-b', cacheSize: 4 });

  it('decodes every box of the image in one run and upsamples like post_process_masks', async () => {
    const s = stage();
    const before = bench.runs.get('sam-decoder-b') ?? 0;
    // 256 x 128: the 1024 frame is x4, so one low-res cell (4 px) is exactly one image pixel
    const boxes: Box[] = [{ x1: 10, y1: 20, x2: 50, y2: 60 }, { x1: 100, y1: 0, x2: 256, y2: 128 }, { x1: 200, y1: 100, x2: 220, y2: 110 }];
    const segs = await s.segment(grey(256, 128), 'img-b1', boxes, { width: 256, height: 128 });
    expect((bench.runs.get('sam-decoder-b') ?? 0) - before).toBe(1);
    segs.forEach((seg, i) => {
      expect(seg.mask.size).toEqual([128, 256]);
      expect(differing(rleDecode(seg.mask), boxBitmap(256, 128, boxes[i]))).toBe(0);
      expect(seg.score).toBeCloseTo(Math.max(...DECODER_B_IOU), 6);
    });
  });

  it('refuses to pair a decoder B with an encoder that has no positional embeddings', async () => {
    const s = new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-b', cacheSize: 2 });
    await expect(s.segment(grey(64, 64), 'img-b2', [{ x1: 1, y1: 1, x2: 9, y2: 9 }], { width: 64, height: 64 })).rejects.toThrow(/image_positional_embeddings/);
  });
});
