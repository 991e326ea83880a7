/**
 * A stage reads its model's preprocessing through imageSpec/textSpec (shared/stages/model-access.ts): a
 * one-part entry gives its own spec, a dual encoder (image+text) the matching half, any other kind is refused
 * by name, so a manifest mistake says which model is wrong instead of failing inside a tensor builder.
 */
import { describe, expect, it } from 'vitest';
import type { ModelEntry, Preprocessing } from '../../shared/onnx/manifest-types';
import { imageSpec, textSpec } from '../../shared/stages/model-access';

const image: Extract<Preprocessing, { kind: 'image' }> = {
  kind: 'image', resize: { mode: 'exact', size: 768, resample: 'bicubic' }, rescale: 1 / 255, normalize: null, layout: 'NCHW',
};
const text: Extract<Preprocessing, { kind: 'text' }> = {
  kind: 'text', tokenizer: 'clip-bpe', maxLength: 16, padding: 'max_length', padTokenId: 0, bosTokenId: 1, eosTokenId: 2, lowercase: true,
};
const entry = (id: string, preprocessing: Preprocessing) => ({ id, preprocessing }) as ModelEntry;

describe('imageSpec / textSpec', () => {
  it('give a one-part entry its own spec and a dual encoder the matching half', () => {
    expect(imageSpec(entry('img', image))).toBe(image);
    expect(textSpec(entry('txt', text))).toBe(text);
    const both = entry('clip', { kind: 'image+text', image, text });
    expect(imageSpec(both)).toBe(image);
    expect(textSpec(both)).toBe(text);
  });

  it('refuse an entry without that kind of input, naming the model', () => {
    expect(() => imageSpec(entry('tok-only', text))).toThrow('model "tok-only" has no image preprocessing in the manifest');
    expect(() => textSpec(entry('pixels-only', image))).toThrow('model "pixels-only" has no text preprocessing in the manifest');
    expect(() => imageSpec(entry('sam-decoder', { kind: 'prompt', frame: 'sam-1024', maskThreshold: 0, notes: '' }))).toThrow(/sam-decoder.*no image preprocessing/);
  });
});
