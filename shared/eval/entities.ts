/**
 * The one record shape every reader converts to and every scorer consumes, so that gold and
 * predictions from any file format meet on equal terms.
 */
import type { BoxLike } from './box';
import type { RleMask } from '../vision/rle';

export type GroundedTask = 'gmner' | 'eeg' | 'mner' | 'fmnerg' | 'smner';

interface EntityBase {
  /** Image id without extension ("71044", "O_2371", "16_05_20_640"). */
  id: string;
  /** Surface string, tokens joined by single spaces (RiVEG's `Name`). */
  name: string;
  /** Coarse type: PER/LOC/ORG/OTHER (GMNER) or the FMNERG coarse types. */
  type: string;
  fine_type?: string | null;
  /** Offsets in the tweet text (tokens joined by single spaces, UTF-16, end exclusive), when known. */
  start?: number;
  end?: number;
}

export interface GoldEntity extends EntityBase {
  groundable: boolean;
  /** Every gold box of the entity (RiVEG: all xml objects with the entity's name). */
  boxes: BoxLike[];
  /** Every gold mask of the entity (SMNER). */
  masks?: RleMask[];
}

export interface PredEntity extends EntityBase {
  /** false = the prediction says "None" (not in the image). */
  groundable: boolean;
  /** The predicted region; null with groundable=true means "claimed visible, no region" and never matches. */
  box?: BoxLike | null;
  mask?: RleMask | null;
}

export type KeyBy = 'surface' | 'span';

/** Image ids appear as "71044", "71044.jpg" or "Imageid:71044.jpg#uuid" depending on the file. */
export function normalizeImageId(raw: string): string {
  let id = raw.trim();
  if (id.startsWith('Imageid:')) id = id.slice('Imageid:'.length);
  const hash = id.indexOf('.jpg#');
  if (hash >= 0) id = id.slice(0, hash);
  return id.replace(/\.(jpe?g|png|webp)$/i, '');
}

/**
 * Matching key. RiVEG compares `<id>.jpg` + `Name(TYPE)` strings; EEG drops the type, FMNERG puts the
 * fine type in its place, MNER/SMNER keep the GMNER key. With keyBy 'span' the surface is replaced
 * by the character span (E2E-GMNER style), which tells apart two mentions of the same string.
 */
export function entityKey(e: EntityBase, task: GroundedTask, keyBy: KeyBy = 'surface'): string {
  let where: string;
  if (keyBy === 'span') {
    if (e.start === undefined || e.end === undefined) throw new Error(`entity "${e.name}" of ${e.id} has no span`);
    where = `${e.start}:${e.end}`;
  } else where = e.name;
  const kind = task === 'eeg' ? '' : task === 'fmnerg' ? (e.fine_type ?? '') : e.type;
  return `${e.id}\u0000${where}\u0000${kind}`;
}
