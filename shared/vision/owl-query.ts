/**
 * OWL-ViT reads at most 16 tokens per query (start and end token included), far shorter than an
 * expansion expression. The name is what identifies the entity, so it is always kept; description
 * words are dropped from the end until the query fits, and only a name that alone is too long is
 * cut (its tokens, keeping the end token, by fixedLength).
 */
import { naturalText, type ExpressionParts } from '../pipeline/expression';

/** `count(text)` = the number of ids the text takes with special tokens. */
export function shortenQuery(parts: ExpressionParts, count: (text: string) => number, maxTokens: number): string {
  const words = parts.description.replace(/[.\s]+$/, '').split(/\s+/).filter(Boolean);
  for (let n = words.length; n > 0; n--) {
    const text = naturalText({ ...parts, description: words.slice(0, n).join(' ') });
    if (count(text) <= maxTokens) return text;
  }
  return parts.name;
}
