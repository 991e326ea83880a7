import { describe, expect, it } from 'vitest';
import { buildTokenizer, fixedLength, layoutFromSpec, tokenCount, tokenRows } from '../../shared/vision/clip-tokens';
import { FIXTURE_EOT, FIXTURE_SOT, byteSymbols, fixtureTokenizerFiles } from '../../models/fixtures/vision-tokenizer';

const files = fixtureTokenizerFiles();
const tok = buildTokenizer(files.json, files.config);
const sym = byteSymbols();
const id = (s: string) => sym.indexOf(s);
const eow = (s: string) => 256 + sym.indexOf(s);

describe('CLIP tokens with @huggingface/tokenizers', () => {
  it('lower-cases, splits words, marks word ends and adds start/end tokens', () => {
    expect(tok.encode('Hi  Bo!').ids).toEqual([FIXTURE_SOT, id('h'), eow('i'), id('b'), eow('o'), eow('!'), FIXTURE_EOT]);
  });

  it('applies the BPE merges', () => {
    const ids = tok.encode('a photo of').ids;
    expect(ids).toEqual([FIXTURE_SOT, eow('a'), 515, 516, FIXTURE_EOT]); // photo</w>, of</w>
  });

  it('pads with the pad id and masks the padding', () => {
    const layout = { maxLength: 6, padId: 0, eotId: FIXTURE_EOT };
    expect(fixedLength([FIXTURE_SOT, 5, FIXTURE_EOT], layout)).toEqual({ ids: [FIXTURE_SOT, 5, FIXTURE_EOT, 0, 0, 0], attentionMask: [1, 1, 1, 0, 0, 0] });
  });

  it('truncates keeping the end token last (CLIP pools the end position)', () => {
    const layout = { maxLength: 4, padId: 0, eotId: FIXTURE_EOT };
    expect(fixedLength([FIXTURE_SOT, 1, 2, 3, 4, FIXTURE_EOT], layout)).toEqual({ ids: [FIXTURE_SOT, 1, 2, FIXTURE_EOT], attentionMask: [1, 1, 1, 1] });
  });

  it('takes row length and pad from the manifest, the end id from the tokenizer', () => {
    expect(layoutFromSpec(tok, { maxLength: 16, padTokenId: 0, eosTokenId: 1 })).toEqual({ maxLength: 16, padId: 0, eotId: FIXTURE_EOT });
  });

  it('builds one row per text', () => {
    const rows = tokenRows(tok, ['ab', 'c'], { maxLength: 5, padId: 0, eotId: FIXTURE_EOT });
    expect(rows.rows).toBe(2);
    expect(rows.ids).toEqual([FIXTURE_SOT, id('a'), eow('b'), FIXTURE_EOT, 0, FIXTURE_SOT, eow('c'), FIXTURE_EOT, 0, 0]);
    expect(tokenCount(tok, 'kevin durant')).toBe(13); // 11 letters + start + end
  });
});
