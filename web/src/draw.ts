/**
 * The image with each entity's mask (decoded from COCO RLE by shared/vision/rle.ts, drawn translucent)
 * and box (outlined, labelled). Everything is redrawn on each event; decoded masks are cached, since
 * decoding is the only costly step.
 */
import type { AnswerEntity } from '../../shared/client';
import { rleDecode } from '../../shared/vision/rle';
import { rgb, typeColour } from './colours';

export interface DrawCounts {
  boxes: number;
  masks: number;
}

const maskCache = new WeakMap<object, HTMLCanvasElement>();

function maskLayer(mask: NonNullable<AnswerEntity['mask']>, colour: string): HTMLCanvasElement {
  const cached = maskCache.get(mask);
  if (cached) return cached;
  const [h, w] = mask.size;
  const bits = rleDecode(mask);
  const layer = document.createElement('canvas');
  layer.width = w;
  layer.height = h;
  const ctx = layer.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  const [r, g, b] = rgb(colour);
  for (let i = 0; i < bits.length; i++) {
    if (!bits[i]) continue;
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 110;
  }
  ctx.putImageData(img, 0, 0);
  maskCache.set(mask, layer);
  return layer;
}

/** Draws `image` at the answer's size (pixels after EXIF orientation, the frame boxes are in). */
export function drawScene(canvas: HTMLCanvasElement, image: CanvasImageSource | null, size: { width: number; height: number } | null,
  entities: readonly AnswerEntity[], highlight: number | null): DrawCounts {
  if (size && (canvas.width !== size.width || canvas.height !== size.height)) {
    canvas.width = size.width;
    canvas.height = size.height;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (image) ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const counts = { boxes: 0, masks: 0 };
  entities.forEach((e) => {
    if (!e.mask) return;
    ctx.drawImage(maskLayer(e.mask, typeColour(e.type)), 0, 0, canvas.width, canvas.height);
    counts.masks++;
  });
  const line = Math.max(2, Math.round(canvas.width / 300));
  const font = Math.max(12, Math.round(canvas.width / 45));
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  entities.forEach((e, i) => {
    if (!e.box) return;
    const colour = typeColour(e.type);
    const { x1, y1, x2, y2 } = e.box;
    ctx.lineWidth = highlight === i ? line * 2 : line;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = `${e.text} · ${e.type} ${e.box.score.toFixed(2)}`;
    const w = ctx.measureText(label).width + 8;
    const ty = y1 >= font + 4 ? y1 - font - 4 : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1, ty, w, font + 4);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'top';
    ctx.fillText(label, x1 + 4, ty + 2);
    counts.boxes++;
  });
  return counts;
}
