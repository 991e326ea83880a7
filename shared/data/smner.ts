/**
 * Twitter-SMNER masks. The released JSON schema is not public (the RiVEG README says only "each json file contains
 * the segmentation masks and named entity labels of all visual objects in the corresponding image"),
 * so this reader accepts the common COCO-style shapes and fails loudly on anything else:
 *
 *  - a COCO dataset: `{images:[{id, file_name?, height, width}], annotations:[{image_id, segmentation, <name>}]}`
 *  - one image: `{<id>?, <height>, <width>, <objects>: [{<name>, <segmentation>}]}`
 *    id: `image_id` | `imgid` | `id` | `file_name` | `imagePath` (or the file name passed as fallback)
 *    size: `height`/`width` | `imageHeight`/`imageWidth`; objects: `annotations` | `objects` | `shapes`
 *  - an array of such images.
 *  The entity name of an object: `entity` | `entity_name` | `name` | `text` | `label` (LabelMe).
 *  A segmentation: COCO polygons `[[x0,y0,x1,y1,…],…]`, one flat polygon `[x0,y0,…]`, LabelMe `points`
 *  `[[x,y],…]`, compressed RLE `{size:[h,w], counts:"…"}` or uncompressed RLE `{size, counts:[…]}`
 *  (under `segmentation` | `mask` | `points`). Polygons are rasterised exactly as pycocotools does.
 *
 * As with the GMNER xml, an entity's masks are all objects whose name equals its surface string, and
 * an entity without a mask is ungroundable for SMNER (objects unfit for segmentation were dropped).
 */
import type { GoldEntity } from '../eval/entities';
import { normalizeImageId } from '../eval/entities';
import { rleFromPolygons } from '../eval/poly';
import { rleFromCounts, type RleMask } from '../vision/rle';

export interface SmnerImage {
  id: string;
  height: number;
  width: number;
  objects: Array<{ name: string; mask: RleMask }>;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const first = (o: Obj, keys: string[]): unknown => keys.map((k) => o[k]).find((v) => v !== undefined && v !== null);

const NAME_KEYS = ['entity', 'entity_name', 'name', 'text', 'label'];
const SEG_KEYS = ['segmentation', 'mask', 'points'];

function toMask(seg: unknown, h: number, w: number, where: string): RleMask {
  if (isObj(seg) && Array.isArray(seg.size)) {
    const size: [number, number] = [Number(seg.size[0]), Number(seg.size[1])];
    if (size[0] !== h || size[1] !== w) throw new Error(`${where}: RLE size ${size} differs from image ${h}x${w}`);
    if (typeof seg.counts === 'string') return { size, counts: seg.counts };
    if (Array.isArray(seg.counts)) return rleFromCounts(size, seg.counts.map(Number));
  }
  if (Array.isArray(seg) && seg.length > 0) {
    if (seg.every((v) => typeof v === 'number')) return rleFromPolygons([seg as number[]], h, w);
    if (seg.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number'))) {
      return rleFromPolygons([(seg as number[][]).flat()], h, w); // LabelMe points
    }
    if (seg.every((p) => Array.isArray(p) && p.every((v) => typeof v === 'number'))) return rleFromPolygons(seg as number[][], h, w);
  }
  throw new Error(`${where}: unrecognised segmentation ${JSON.stringify(seg)?.slice(0, 80)}`);
}

function readImage(o: Obj, fallbackId: string | undefined, where: string): SmnerImage {
  const rawId = first(o, ['image_id', 'imgid', 'id', 'file_name', 'imagePath']) ?? fallbackId;
  if (rawId === undefined) throw new Error(`${where}: no image id`);
  const id = normalizeImageId(String(rawId).split(/[\\/]/).pop()!);
  const h = Number(first(o, ['height', 'imageHeight']));
  const w = Number(first(o, ['width', 'imageWidth']));
  if (!(h > 0 && w > 0)) throw new Error(`${where}: image ${id} has no height/width`);
  const list = first(o, ['annotations', 'objects', 'shapes']) ?? [];
  if (!Array.isArray(list)) throw new Error(`${where}: objects of ${id} are not a list`);
  const objects = list.map((a: unknown, i) => {
    const at = `${where} ${id} object ${i}`;
    if (!isObj(a)) throw new Error(`${at}: not an object`);
    const name = first(a, NAME_KEYS);
    if (typeof name !== 'string') throw new Error(`${at}: no entity name (${NAME_KEYS.join('|')})`);
    return { name: name.trim(), mask: toMask(first(a, SEG_KEYS), h, w, at) };
  });
  return { id, height: h, width: w, objects };
}

function readCocoDataset(o: Obj, where: string): SmnerImage[] {
  const images = new Map<string, SmnerImage>();
  const sizes = new Map<string, { h: number; w: number; id: string }>();
  for (const im of o.images as unknown[]) {
    if (!isObj(im)) throw new Error(`${where}: bad images entry`);
    const key = String(im.id);
    const id = normalizeImageId(String(im.file_name ?? im.id).split(/[\\/]/).pop()!);
    sizes.set(key, { h: Number(im.height), w: Number(im.width), id });
    images.set(key, { id, height: Number(im.height), width: Number(im.width), objects: [] });
  }
  (o.annotations as unknown[]).forEach((a, i) => {
    if (!isObj(a)) throw new Error(`${where}: annotation ${i} is not an object`);
    const img = images.get(String(a.image_id));
    const s = sizes.get(String(a.image_id));
    if (!img || !s) throw new Error(`${where}: annotation ${i} refers to unknown image ${String(a.image_id)}`);
    const name = first(a, NAME_KEYS);
    if (typeof name !== 'string') throw new Error(`${where}: annotation ${i} has no entity name`);
    img.objects.push({ name: name.trim(), mask: toMask(first(a, SEG_KEYS), s.h, s.w, `${where} annotation ${i}`) });
  });
  return [...images.values()];
}

/** @param fallbackId image id to use when a single-image file does not name its image (e.g. its file name) */
export function parseSmnerJson(json: unknown, fallbackId?: string, where = 'smner json'): SmnerImage[] {
  if (Array.isArray(json)) return json.flatMap((x, i) => parseSmnerJson(x, undefined, `${where}[${i}]`));
  if (!isObj(json)) throw new Error(`${where}: expected an object or array`);
  if (Array.isArray(json.images) && Array.isArray(json.annotations)) return readCocoDataset(json, where);
  return [readImage(json, fallbackId, where)];
}

/** SMNER gold: GMNER entities with masks joined by image id and name; no mask => ungroundable. */
export function withGoldMasks(gold: readonly GoldEntity[], images: readonly SmnerImage[]): GoldEntity[] {
  const byId = new Map(images.map((im) => [im.id, im]));
  return gold.map((g) => {
    const masks = (byId.get(g.id)?.objects ?? []).filter((o) => o.name === g.name).map((o) => o.mask);
    return { ...g, masks, groundable: masks.length > 0 };
  });
}
