/**
 * RiVEG's entity expansion expression, the string the recognizer writes and every vision stage queries
 * with: `Name(TYPE)-description`, the entity with its type, a dash and the first line of the LLM's answer (RiVEG,
 * arXiv 2402.09989; https://github.com/JinYuanLi0012/RiVEG), e.g. `Mara Quell(PER)-A stage actress from Riverton.`.
 * Written here (expansionExpression) and read back here (parseExpression), so the format is stated once.
 * The vision models get it as natural text ("Kevin Durant, an American basketball player") rather than
 * with the bracketed type tag, which CLIP-style text towers never saw in training.
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

export interface ExpressionParts {
  name: string;
  type: string | null;
  description: string;
}

// The first "(TYPE)" that ends the name: followed by "-description" or by the end of the string.
const EXPRESSION = /^(.+?)\(([^()\s]+)\)(?:\s*-\s*([\s\S]*))?$/;

export function parseExpression(expression: string): ExpressionParts {
  const s = expression.trim();
  const m = EXPRESSION.exec(s);
  if (!m) return { name: s, type: null, description: '' };
  return { name: m[1].trim(), type: m[2], description: (m[3] ?? '').trim() };
}

/** "name, description" (or the name alone), the text the towers embed. */
export function naturalText(parts: ExpressionParts): string {
  const d = parts.description.replace(/[\s.,;:]+$/, '');
  if (!d) return parts.name;
  // Descriptions usually start with an article ("A prominent actress"); mid-sentence it is lower case.
  const lowered = /^(A|An|The)(\s|$)/.test(d) ? d[0].toLowerCase() + d.slice(1) : d;
  return `${parts.name}, ${lowered}`;
}

/** Fills "{}" in a prompt template, e.g. "a photo of {}." */
export function applyTemplate(template: string, text: string): string {
  return template.includes('{}') ? template.replace('{}', text) : `${template} ${text}`;
}
