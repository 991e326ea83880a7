/**
 * Token counts for the recorded server's `usage`. No GPT tokenizer is available offline, so this
 * estimates one: GPT-2-style pre-tokenization (words with their leading space, digit runs of up to
 * three, punctuation runs), with long words split into pieces of six characters as BPE would for
 * rarer words, plus OpenAI's ~4 tokens of framing per chat message. English text comes out near
 * the usual 4 characters per token. Good for comparing modes; not a bill.
 */
const PRETOKEN = /'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+/gu;

export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PRETOKEN)) {
    const piece = m[0].trim();
    n += piece.length > 6 ? Math.ceil(piece.length / 6) : 1;
  }
  return n;
}

type Message = { role?: unknown; content?: unknown };

export function messageText(m: Message): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) {
    return m.content.map((p: { type?: string; text?: string }) => (p?.type === 'text' ? p.text ?? '' : '')).join('\n');
  }
  return '';
}

export function promptTokens(messages: Message[]): number {
  // An image part is billed separately by real providers; counted here as a flat 85 (OpenAI's low-detail cost).
  const images = messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((p: { type?: string }) => p?.type === 'image_url').length;
  return messages.reduce((n, m) => n + 4 + estimateTokens(messageText(m)), 3) + 85 * images;
}
