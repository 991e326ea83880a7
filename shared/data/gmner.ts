/**
 * Twitter-GMNER v2.0 tweets: CoNLL tokens + BIO tags joined with the Pascal-VOC boxes. An entity is
 * groundable iff its surface string (tokens joined by single spaces) equals the `<name>` of at least
 * one xml object of its image, and then all such objects are its boxes — the rule behind RiVEG's gold
 * label file (RiVEG `statistic/GMNER_finall_label.txt`, https://github.com/JinYuanLi0012/RiVEG; data: https://github.com/NUSTM/GMNER,
 * `Twitter10000_v2.0`, where every xml `<name>` matches an entity).
 */
import type { BoxLike } from '../eval/box';
import type { GoldEntity } from '../eval/entities';
import { bioSpans } from '../eval/seqeval';
import { parseConll } from './conll';
import { parseVocXml, type VocAnnotation } from './voc';

export interface GmnerGoldEntity {
  /** surface string = text.slice(start, end) = tokens[tokenStart..tokenEnd) joined by spaces */
  text: string;
  type: string;
  /** FMNERG only */
  fine_type?: string | null;
  tokenStart: number;
  /** exclusive */
  tokenEnd: number;
  /** UTF-16 offsets in `text` of the tweet, end exclusive */
  start: number;
  end: number;
  groundable: boolean;
  boxes: BoxLike[];
}

export interface GmnerTweet {
  id: string;
  tokens: string[];
  /** tokens joined by single spaces: the text the API is sent and the char offsets refer to */
  text: string;
  entities: GmnerGoldEntity[];
  /** from the xml, when the tweet has one (only tweets with at least one box do) */
  image?: { width: number; height: number };
}

/** Char offset of every token in the space-joined text. */
export function tokenOffsets(tokens: readonly string[]): number[] {
  const at: number[] = [];
  let pos = 0;
  for (const t of tokens) {
    at.push(pos);
    pos += t.length + 1;
  }
  return at;
}

/**
 * @param conll  the split's CoNLL text (GMNER: token<TAB>BIO; FMNERG: token<TAB>coarse<TAB>fine)
 * @param xmlFor the xml text for an image id, or undefined when the image has no boxes
 */
export function buildGmnerTweets(conll: string, xmlFor: (id: string) => string | undefined): GmnerTweet[] {
  return parseConll(conll).map((b) => {
    const xml = xmlFor(b.id);
    const voc: VocAnnotation | undefined = xml === undefined ? undefined : parseVocXml(xml, `${b.id}.xml`);
    const offs = tokenOffsets(b.tokens);
    const text = b.tokens.join(' ');
    const fine = b.columns[1];
    const entities = bioSpans(b.columns[0]).map((s): GmnerGoldEntity => {
      const name = b.tokens.slice(s.start, s.end).join(' ');
      const boxes = (voc?.objects ?? []).filter((o) => o.name === name).map((o) => o.box);
      const start = offs[s.start];
      return {
        text: name,
        type: s.type,
        ...(fine ? { fine_type: fineTypeAt(fine, s.start) } : {}),
        tokenStart: s.start,
        tokenEnd: s.end,
        start,
        end: start + name.length,
        groundable: boxes.length > 0,
        boxes,
      };
    });
    return { id: b.id, tokens: b.tokens, text, entities, ...(voc ? { image: { width: voc.width, height: voc.height } } : {}) };
  });
}

/** The fine column is tagged on exactly the coarse spans (checked on the data), so its first tag names the fine type. */
function fineTypeAt(tags: readonly string[], i: number): string | null {
  const t = tags[i] ?? 'O';
  const dash = t.indexOf('-');
  return t === 'O' || dash < 0 ? null : t.slice(dash + 1);
}

/** Gold entity records for the scorer. */
export function gmnerGold(tweets: readonly GmnerTweet[]): GoldEntity[] {
  return tweets.flatMap((t) =>
    t.entities.map((e) => ({
      id: t.id,
      name: e.text,
      type: e.type,
      fine_type: e.fine_type ?? null,
      start: e.start,
      end: e.end,
      groundable: e.groundable,
      boxes: e.boxes,
    })),
  );
}
