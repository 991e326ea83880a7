/**
 * Reads the entity list out of an LLM "auxiliary knowledge" text in PGIM's format, as recorded for
 * every Twitter-GMNER post in RiVEG's `MNER/Twitter10000_noaugment.zip`:
 *   "Named entities:1. Ashgrove Botanic Garden (location)2. Glasshouses (General entity)Reasoning:..."
 * (an invented example in that format; the recordings themselves are read from ../shared at run time)
 * The recorded server turns these lists into JSON answers verbatim (names and free-form types as
 * ChatGPT wrote them), so the project's own parser, type mapping and span alignment are what a
 * replay measures. Posts where ChatGPT found nothing ("Named entities may not be present ...",
 * "None.") yield an empty list.
 */

export interface KnowledgeEntity {
  name: string;
  /** The free-form type ChatGPT wrote in parentheses ("person/politician"), or null when it gave none. */
  type: string | null;
}

/** The text between "Named entities:" and "Reasoning:", or null when there is no list. */
function listPart(knowledge: string): string | null {
  const m = /named\s+entit(?:y|ies)\s*:(.*?)(?:reasoning\s*:|$)/is.exec(knowledge);
  if (!m) return null;
  const part = m[1].trim();
  if (/^none\b/i.test(part)) return null;
  return part;
}

/**
 * Splits "1. A (x)2. B (y) 3. C (z)" at its numbering. Items are numbered upwards, so a number
 * inside a name ("Vortex Cloud Suite 10 (product)") is not taken for one; ChatGPT
 * sometimes skips a number ("5. Kraken (hockey team)7. Kings"), so a gap of one is allowed.
 */
function splitItems(part: string): string[] {
  const starts: Array<{ at: number; len: number }> = [];
  let last = 0;
  const re = /(^|[\s)\].,;])(\d{1,2})\.\s*/g;
  for (let m = re.exec(part); m; m = re.exec(part)) {
    const n = Number(m[2]);
    if (n <= last || n > last + 2 || (last === 0 && n !== 1)) continue;
    const at = m.index + m[1].length;
    starts.push({ at, len: m[0].length - m[1].length });
    last = n;
  }
  if (starts.length === 0) return [part]; // "Named Entity: Nadia Okafor (person/celebrity)"
  return starts.map((s, i) => part.slice(s.at + s.len, i + 1 < starts.length ? starts[i + 1].at : part.length).trim());
}

/** "Sharks (San Jose Sharks, hockey team)" -> name "Sharks", type in the last parentheses. */
function splitItem(item: string): KnowledgeEntity | null {
  const cleaned = item.replace(/[\s.,;]+$/, '');
  if (!cleaned) return null;
  const m = /^(.*?)\s*\(([^()]*)\)$/.exec(cleaned);
  if (!m) return { name: cleaned.replace(/^["']|["']$/g, ''), type: null };
  const name = m[1].trim().replace(/^["']|["']$/g, '');
  return name ? { name, type: m[2].trim() } : null;
}

export function parsePgimKnowledge(knowledge: string): KnowledgeEntity[] {
  const part = listPart(knowledge);
  if (!part) return [];
  return splitItems(part).map(splitItem).filter((e): e is KnowledgeEntity => e !== null);
}
