/**
 * Fixed-length CLIP token rows for the ONNX text towers. @huggingface/tokenizers encodes with the
 * special tokens but has no padding/truncation, so this does what transformers' tokenizer call with
 * `padding: 'max_length', truncation: true` does: cut the content (keeping the end token last) and
 * pad with the manifest's pad id, attention mask 1 on real tokens.
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** The part of a tokenizer the vision stages use; @huggingface/tokenizers' Tokenizer has it. */
export interface TextTokenizer {
  encode(text: string): { ids: number[] };
  token_to_id(token: string): number | undefined;
}

export interface TokenLayout {
  /** Row length the graph wants: 77 for CLIP/MobileCLIP text towers, 16 for OWL-ViT. */
  maxLength: number;
  padId: number;
  eotId: number;
}

/** `[rows,maxLength]` row-major: row i is texts[i]. */
export interface TokenRows {
  ids: number[];
  attentionMask: number[];
  rows: number;
  maxLength: number;
}

/**
 * Row length and pad id as the manifest states them for the graph; the end id from the tokenizer
 * itself (its `<|endoftext|>`), so a tokenizer whose vocabulary differs cannot end rows wrongly.
 */
export function layoutFromSpec(tok: TextTokenizer, spec: { maxLength: number; padTokenId: number; eosTokenId: number }): TokenLayout {
  return { maxLength: spec.maxLength, padId: spec.padTokenId, eotId: tok.token_to_id('<|endoftext|>') ?? spec.eosTokenId };
}

/** Number of ids a text takes, special tokens included. */
export function tokenCount(tok: TextTokenizer, text: string): number {
  return tok.encode(text).ids.length;
}

/** One text's ids -> exactly `maxLength` ids and a 0/1 attention mask of the same length (end token kept last when cut). */
export function fixedLength(ids: readonly number[], layout: TokenLayout): { ids: number[]; attentionMask: number[] } {
  const { maxLength, padId, eotId } = layout;
  const kept = ids.slice(0, maxLength);
  // CLIP pools the end-token position, so a cut row must still end with it.
  if (ids.length > maxLength) kept[maxLength - 1] = eotId;
  const mask = kept.map(() => 1);
  while (kept.length < maxLength) {
    kept.push(padId);
    mask.push(0);
  }
  return { ids: kept, attentionMask: mask };
}

/** Texts -> `ids` and `attentionMask` flattened row-major as `[rows,maxLength]` (what the text towers take as int64). */
export function tokenRows(tok: TextTokenizer, texts: readonly string[], layout: TokenLayout): TokenRows {
  const ids: number[] = [];
  const attentionMask: number[] = [];
  for (const t of texts) {
    const r = fixedLength(tok.encode(t).ids, layout);
    ids.push(...r.ids);
    attentionMask.push(...r.attentionMask);
  }
  return { ids, attentionMask, rows: texts.length, maxLength: layout.maxLength };
}

export function buildTokenizer(tokenizerJson: unknown, config: unknown): TextTokenizer {
  return new Tokenizer(tokenizerJson as object, (config ?? {}) as object) as unknown as TextTokenizer;
}
