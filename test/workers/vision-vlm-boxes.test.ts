import { describe, expect, it } from 'vitest';
import { readVlmBox, roundHalfEven, smartResize } from '../../shared/vision/vlm-boxes';

describe('hosted VLM box conventions', () => {
  const image = { width: 1000, height: 500 };

  it('Gemini box_2d is [ymin, xmin, ymax, xmax] on 0..1000', () => {
    expect(readVlmBox([100, 200, 500, 800], 'gemini', image)).toEqual({ ok: true, box: { x1: 200, y1: 50, x2: 800, y2: 250 } });
  });

  it('Qwen3-VL bbox_2d is [x1, y1, x2, y2] on 0..1000', () => {
    expect(readVlmBox([200, 100, 800, 500], 'qwen3', image)).toEqual({ ok: true, box: { x1: 200, y1: 50, x2: 800, y2: 250 } });
  });

  it('Qwen2.5-VL bbox_2d is absolute pixels of the smart-resized image', () => {
    const seen = smartResize(1000, 500);
    expect(seen).toEqual({ width: 1008, height: 504 });
    const r = readVlmBox([201.6, 50.4, 806.4, 252], 'qwen2.5', image, seen);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.box.x1).toBeCloseTo(200, 9);
      expect(r.box.y1).toBeCloseTo(50, 9);
      expect(r.box.x2).toBeCloseTo(800, 9);
      expect(r.box.y2).toBeCloseTo(250, 9);
    }
  });

  it('refuses non-numbers, inverted boxes and out-of-range values; clamps slight overshoot', () => {
    expect(readVlmBox([1, 2, 3], 'gemini', image).ok).toBe(false);
    expect(readVlmBox(['1', 2, 3, 4], 'gemini', image).ok).toBe(false);
    expect(readVlmBox([500, 200, 100, 800], 'gemini', image).ok).toBe(false);
    expect(readVlmBox([0, 0, 1500, 900], 'gemini', image).ok).toBe(false);
    expect(readVlmBox([0, 0, 1005, 1000], 'gemini', image)).toEqual({ ok: true, box: { x1: 0, y1: 0, x2: 1000, y2: 500 } });
  });
});

describe('smart_resize (qwen_vl_utils), checked against the Python', () => {
  it('rounds half to even like Python round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it('matches the Python reference values', () => {
    expect(smartResize(5000, 3000)).toEqual({ width: 4620, height: 2772 });
    expect(smartResize(20, 20)).toEqual({ width: 56, height: 56 });
    expect(smartResize(10000, 10000)).toEqual({ width: 3556, height: 3556 });
    expect(smartResize(70, 42)).toEqual({ width: 56, height: 56 }); // round(2.5) = 2
  });
});
