/**
 * RiVEG's entity expansion expression, the string every vision stage queries with:
 * `Name(TYPE)-description`, the entity with its type, a dash and the first line of the LLM's answer (RiVEG,
 * arXiv 2402.09989; https://github.com/JinYuanLi0012/RiVEG), e.g. `Mara Quell(PER)-A stage actress from Riverton.`.
 */

/** `Name(TYPE)`, the entity string RiVEG asks about and scores by. */
export function entityKey(name: string, type: string): string {
  return `${name}(${type})`;
}

/**
 * The description from a free-text answer: its first non-empty line (RiVEG keeps the first line),
 * without an echoed "A:" or quotes, whitespace collapsed, at most 300 characters.
 */
export function cleanDescription(answer: string): string {
  const line = answer.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line
    .replace(/^A\s*[:：]\s*/i, '')
    .replace(/^["'“‘]+|["'”’]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** RiVEG's entity expansion expression `Name(TYPE)-description`, or `Name(TYPE)` with no description. */
export function expansionExpression(name: string, type: string, description: string | null | undefined): string {
  const key = entityKey(name, type);
  let d = cleanDescription(description ?? '');
  // Models sometimes echo the key itself before the description.
  if (d.startsWith(key)) d = d.slice(key.length).replace(/^\s*[-:–]\s*/, '');
  return d ? `${key}-${d}` : key;
}
