import { describe, expect, it } from 'vitest';
import { groundingPrompt, readGroundingAnswer } from '../../shared/vision/vlm-grounding';

const image = { width: 1000, height: 500 };
const names = ['Kevin Durant', 'Houston', 'NBA'];

describe('reading a VLM grounding answer', () => {
  it('matches entries by 1-based id, in any order', () => {
    const r = readGroundingAnswer('{"boxes": [{"id": 3, "box_2d": [0, 0, 1000, 1000]}, {"id": 1, "box_2d": [100, 200, 500, 800]}]}', names, image, image, 'qwen3');
    expect(r.ok && r.boxes).toEqual([{ box: { x1: 200, y1: 50, x2: 800, y2: 250 }, score: 1 }, null, { box: { x1: 0, y1: 0, x2: 1000, y2: 500 }, score: 1 }]);
  });

  it('accepts 0-based ids when the answer uses them', () => {
    const r = readGroundingAnswer('[{"id": 0, "bbox_2d": [0, 0, 500, 500]}, {"id": 1, "bbox_2d": null}]', names.slice(0, 2), image, image, 'qwen3');
    expect(r.ok && r.boxes[0]?.box).toEqual({ x1: 0, y1: 0, x2: 500, y2: 250 });
    expect(r.ok && r.boxes[1]).toBeNull();
  });

  it('matches by label (case-insensitive), else by position when the counts agree', () => {
    const byLabel = readGroundingAnswer('[{"label": "houston", "bbox_2d": [0, 0, 100, 100]}]', names, image, image, 'qwen3');
    expect(byLabel.ok && byLabel.boxes.map((b) => b !== null)).toEqual([false, true, false]);
    const byPos = readGroundingAnswer('[{"bbox_2d": [0, 0, 100, 100]}, {"bbox_2d": null}]', names.slice(0, 2), image, image, 'qwen3');
    expect(byPos.ok && byPos.boxes.map((b) => b !== null)).toEqual([true, false]);
  });

  it('uses a given confidence as the score and reports bad entries without dropping the rest', () => {
    const r = readGroundingAnswer('{"boxes": [{"id": 1, "box_2d": [0, 0, 10, 10], "confidence": 0.4}, {"id": 2, "box_2d": [5, 5]}, {"id": 9, "box_2d": [0, 0, 1, 1]}, "junk"]}', names, image, image, 'qwen3');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.boxes[0]?.score).toBe(0.4);
    expect(r.boxes[1]).toBeNull();
    expect(r.problems).toEqual(['entity 2: the box is not four numbers', 'entry 3 names no entity of the request', 'entry 4 is not a box object']);
  });

  it('is unusable without JSON or without a list', () => {
    expect(readGroundingAnswer('no idea', names, image, image, 'qwen3').ok).toBe(false);
    expect(readGroundingAnswer('{"answer": 3}', names, image, image, 'qwen3')).toEqual({ ok: false, reason: 'the JSON has no list of boxes' });
  });

  it('asks in the configured convention and numbers the entities', () => {
    const p = groundingPrompt([{ name: 'Kevin Durant', description: 'an American basketball player' }, { name: 'NBA', description: '' }], { convention: 'qwen2.5', sent: { width: 1008, height: 504 } });
    expect(p).toContain('(1008x504 pixels)');
    expect(p).toContain('1. Kevin Durant — an American basketball player\n2. NBA\n');
    expect(p).toContain('"bbox_2d": [x1, y1, x2, y2] in absolute pixel coordinates');
    expect(p).toContain('"bbox_2d": null');
  });
});
