/**
 * Pascal-VOC annotation files as Twitter-GMNER v2.0 ships them (labelImg output): image size plus one
 * `<object>` per box whose `<name>` is the entity's surface string.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { BoxLike } from '../eval/box';

export interface VocAnnotation {
  width: number;
  height: number;
  objects: Array<{ name: string; box: BoxLike }>;
}

function child(el: Element, tag: string): Element | undefined {
  return el.getElementsByTagName(tag)[0];
}

function num(el: Element | undefined, tag: string, where: string): number {
  const v = el ? child(el, tag)?.textContent : undefined;
  const n = v === undefined || v === null ? NaN : Number(v.trim());
  if (!Number.isFinite(n)) throw new Error(`${where}: <${tag}> missing or not a number`);
  return n;
}

export function parseVocXml(xml: string, where = 'xml'): VocAnnotation {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (!root) throw new Error(`${where}: not an XML document`);
  const size = child(root, 'size');
  const objects = Array.from(root.getElementsByTagName('object')).map((o) => {
    const bb = child(o, 'bndbox');
    return {
      name: (child(o, 'name')?.textContent ?? '').trim(),
      box: { x1: num(bb, 'xmin', where), y1: num(bb, 'ymin', where), x2: num(bb, 'xmax', where), y2: num(bb, 'ymax', where) },
    };
  });
  return { width: size ? num(size, 'width', where) : 0, height: size ? num(size, 'height', where) : 0, objects };
}
