/** One colour per entity type: GMNER's four, then FMNERG's coarse types, so both label sets stay apart. */
import { FMNERG_COARSE, GMNER_TYPES } from '../../shared/recognize/labels';

const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#e377c2', '#8c564b', '#bcbd22', '#7f7f7f', '#393b79', '#637939'];
const ORDER = [...GMNER_TYPES.map((t) => t.name), ...FMNERG_COARSE.filter((t) => !GMNER_TYPES.some((g) => g.name === t))];

export function typeColour(type: string): string {
  const i = ORDER.indexOf(type);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** `#rrggbb` -> [r, g, b]. */
export function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
