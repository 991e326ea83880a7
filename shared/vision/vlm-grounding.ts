/**
 * Asking a hosted vision-language model for entity boxes, and reading its answer. One request per
 * post: the entities are numbered and the model answers one JSON list. Answers are validated like
 * every LLM answer: JSON extracted leniently (fences, prose, trailing commas), then each entry
 * checked; a bad entry costs that entity its box, not the whole answer. The key names the
 * convention: `box_2d` is Gemini's [ymin, xmin, ymax, xmax] / 1000, `bbox_2d` is Qwen-VL's
 * [x1, y1, x2, y2] (0..1000 for Qwen3-VL, pixels of the sent image for Qwen2.5-VL).
 */
import { z } from 'zod';
import type { Box } from '../pipeline/contracts';
import { extractJson } from '../recognize/json-repair';
import type { Size } from '../image/types';
import { readVlmBox, type BoxConvention } from './vlm-boxes';

export type QwenConvention = Exclude<BoxConvention, 'gemini'>;

export interface VlmPromptOptions {
  /** The convention the model is asked to answer in. */
  convention: BoxConvention;
  /** Size of the image as sent (the Qwen2.5 pixel frame). */
  sent: Size;
}

const FORMAT: Record<BoxConvention, string> = {
  gemini: '"box_2d": [ymin, xmin, ymax, xmax] with integer coordinates normalized to 0-1000',
  qwen3: '"bbox_2d": [x1, y1, x2, y2] with integer coordinates normalized to 0-1000',
  'qwen2.5': '"bbox_2d": [x1, y1, x2, y2] in absolute pixel coordinates of the image',
};

export function groundingPrompt(entities: readonly { name: string; description: string }[], opts: VlmPromptOptions): string {
  const key = opts.convention === 'gemini' ? 'box_2d' : 'bbox_2d';
  const lines = entities.map((e, i) => `${i + 1}. ${e.name}${e.description ? ` — ${e.description}` : ''}`);
  return [
    `Find each of these named entities in the image (${opts.sent.width}x${opts.sent.height} pixels) and give the bounding box of the region that shows it:`,
    ...lines,
    '',
    `Answer with JSON only: {"boxes": [{"id": <entity number>, ${FORMAT[opts.convention]}}]}, one entry per entity.`,
    `If an entity is not visible in the image, give "${key}": null.`,
  ].join('\n');
}

const Coords = z.array(z.unknown()).nullable().optional();
const Entry = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  index: z.union([z.number(), z.string()]).optional(),
  label: z.string().optional(),
  box_2d: Coords,
  bbox_2d: Coords,
  confidence: z.number().min(0).max(1).optional(),
}).passthrough();
type Entry = z.infer<typeof Entry>;

export interface VlmBox {
  box: Box;
  score: number;
}

export type VlmReading =
  | { ok: true; boxes: (VlmBox | null)[]; problems: string[] }
  | { ok: false; reason: string };

function entries(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    for (const k of ['boxes', 'entities', 'results', 'objects']) if (Array.isArray(v[k])) return v[k] as unknown[];
    if ('box_2d' in v || 'bbox_2d' in v) return [v];
  }
  return null;
}

function entryNumber(e: Entry): number | null {
  const raw = e.id ?? e.index;
  const n = typeof raw === 'string' ? Number(raw.trim()) : raw;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

/**
 * The model's JSON answer -> one box per name, `{x1,y1,x2,y2}` in pixels of `image` (the frame the boxes
 * are wanted in), or null; `sent` is the size of the image the model saw (Qwen2.5's absolute frame).
 * `qwen` says how to read `bbox_2d`.
 */
export function readGroundingAnswer(
  content: string, names: readonly string[], image: Size, sent: Size, qwen: QwenConvention,
): VlmReading {
  const json = extractJson(content);
  if (!json.ok) return json;
  const list = entries(json.value);
  if (!list) return { ok: false, reason: 'the JSON has no list of boxes' };
  const n = names.length;
  const boxes: (VlmBox | null)[] = new Array(n).fill(null);
  const problems: string[] = [];
  const parsed = list.map((item) => Entry.safeParse(item));
  const numbers = parsed.flatMap((p) => (p.success && entryNumber(p.data) !== null ? [entryNumber(p.data)!] : []));
  const numbered = numbers.length > 0;
  // The prompt numbers entities from 1; a model that answers 0-based shows a 0.
  const base = numbered && Math.min(...numbers) === 0 ? 0 : 1;
  parsed.forEach((p, pos) => {
    if (!p.success) {
      problems.push(`entry ${pos + 1} is not a box object`);
      return;
    }
    const e = p.data;
    let slot: number;
    if (numbered) {
      const num = entryNumber(e);
      slot = num === null ? -1 : num - base;
    } else if (e.label !== undefined) {
      slot = names.findIndex((x) => x.toLowerCase() === e.label!.toLowerCase());
    } else {
      slot = list.length === n ? pos : -1;
    }
    if (slot < 0 || slot >= n) {
      problems.push(`entry ${pos + 1} names no entity of the request`);
      return;
    }
    const gemini = e.box_2d !== undefined && e.box_2d !== null;
    const values = gemini ? e.box_2d : e.bbox_2d;
    if (values === undefined || values === null) return; // not visible
    const r = readVlmBox(values, gemini ? 'gemini' : qwen, image, sent);
    if (!r.ok) {
      problems.push(`entity ${slot + 1}: ${r.reason}`);
      return;
    }
    boxes[slot] = { box: r.box, score: e.confidence ?? 1 };
  });
  return { ok: true, boxes, problems };
}
