/**
 * The project's own API answers as JSON lines: one `{"id": <image id>, "text"?, "entities": [...]}` per
 * line, entities in the API answer shape (shared/api/schemas.ts EntitySchema). `npm run eval -- --api`
 * writes this file; any other producer (a replay, a notebook) can write it too.
 * A predicted region is its box (GMNER/EEG/FMNERG) or its mask (SMNER); null means "None", whatever
 * `groundable` says, because only a region can be scored.
 */
import { z } from 'zod';
import { normalizeImageId, type PredEntity } from '../eval/entities';

const Box = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number(), score: z.number().optional() });
const Mask = z.object({ size: z.tuple([z.number().int(), z.number().int()]), counts: z.string() });

const Entity = z.object({
  text: z.string(),
  start: z.number().int().optional(),
  end: z.number().int().optional(),
  type: z.string(),
  fine_type: z.string().nullable().optional(),
  expansion: z.string().optional(),
  groundable: z.boolean().nullable().optional(),
  box: Box.nullable().optional(),
  mask: Mask.nullable().optional(),
});

export const ApiAnswerLineSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  text: z.string().optional(),
  entities: z.array(Entity),
});

export type ApiAnswerLine = z.infer<typeof ApiAnswerLineSchema>;

/**
 * @param tolerateTruncatedTail a run killed mid-write leaves a partial last line; resuming must not die on it
 */
export function parseApiJsonl(text: string, tolerateTruncatedTail = false): ApiAnswerLine[] {
  const raw = text.split(/\r?\n/);
  const out: ApiAnswerLine[] = [];
  raw.forEach((l, i) => {
    if (l.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch (e) {
      const isTail = raw.slice(i + 1).every((r) => r.trim() === '');
      if (tolerateTruncatedTail && isTail) return;
      throw new Error(`answers line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = ApiAnswerLineSchema.safeParse(json);
    if (!r.success) throw new Error(`answers line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    out.push(r.data);
  });
  return out;
}

/** Last line per id wins, so a re-run appended to the same file replaces older answers. */
export function apiPredictions(lines: readonly ApiAnswerLine[], region: 'box' | 'mask' = 'box'): PredEntity[] {
  const byId = new Map<string, ApiAnswerLine>();
  for (const l of lines) byId.set(normalizeImageId(l.id), l);
  return [...byId].flatMap(([id, l]) =>
    l.entities.map((e): PredEntity => {
      const box = e.box ? { x1: e.box.x1, y1: e.box.y1, x2: e.box.x2, y2: e.box.y2 } : null;
      const mask = e.mask ? { size: e.mask.size, counts: e.mask.counts } : null;
      return {
        id,
        name: e.text,
        type: e.type,
        fine_type: e.fine_type ?? null,
        ...(e.start !== undefined && e.end !== undefined ? { start: e.start, end: e.end } : {}),
        groundable: region === 'mask' ? mask !== null : box !== null,
        box,
        mask,
      };
    }),
  );
}

/** The tweet text each answer was produced for, where the line carries it (its offsets refer to it). */
export function apiTexts(lines: readonly ApiAnswerLine[]): Map<string, string> {
  return new Map(lines.filter((l) => l.text !== undefined).map((l) => [normalizeImageId(l.id), l.text!]));
}
