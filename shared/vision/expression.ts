/**
 * Reading RiVEG's entity expansion expression `Name(TYPE)-description` back into its parts, so the
 * vision models get natural text ("Kevin Durant, an American basketball player") rather than the
 * bracketed type tag, which CLIP-style text towers never saw in training.
 */

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
