import { describe, expect, it } from 'vitest';
import { byImage, calibrationItems } from '../../shared/vision/calibration-set';
import { tokenizerFile } from '../../shared/stages/tokenizers';

const GOLD = [
  '5001.jpg###Ashgrove Park(LOC)###a park with a greenhouse###0###&[0, 0, 0, 0]',
  '',
  '5002.jpg###Riverton City Hall(LOC)###a building in riverton###2###&[4.0, 310.0, 580.0, 640.0]',
  'O_5003.jpg###Mara Quell(PER)######2###&[250.0, 30.0, 610.0, 470.0]',
].join('\n');

const PRED = [
  'Imageid:5001.jpg#7060###Ashgrove Park(LOC)###Ashgrove Park(LOC)-A conservatory.###0',
  'Imageid:5002.jpg#6aac###Riverton City Hall(LOC)###Riverton City Hall(LOC)-A building.###0',
  'Imageid:5002.jpg#6aad###Golden Gate(LOC)###Golden Gate(LOC)-A bridge.###2',
].join('\n');

describe('the calibration set from RiVEG files', () => {
  it('takes expressions from the gold descriptions, labels from its groundability', () => {
    expect(calibrationItems(GOLD)).toEqual([
      { imageId: '5001', expression: 'Ashgrove Park(LOC)-a park with a greenhouse', groundable: false },
      { imageId: '5002', expression: 'Riverton City Hall(LOC)-a building in riverton', groundable: true },
      { imageId: 'O_5003', expression: 'Mara Quell(PER)', groundable: true },
    ]);
  });

  it('joins recorded expansions to the gold labels (the run\'s own decision is ignored); unmatched entities drop out', () => {
    expect(calibrationItems(GOLD, PRED)).toEqual([
      { imageId: '5001', expression: 'Ashgrove Park(LOC)-A conservatory.', groundable: false },
      { imageId: '5002', expression: 'Riverton City Hall(LOC)-A building.', groundable: true },
    ]);
  });

  it('groups by image', () => {
    const g = byImage([{ imageId: 'a', expression: 'x', groundable: true }, { imageId: 'b', expression: 'y', groundable: false }, { imageId: 'a', expression: 'z', groundable: false }]);
    expect([...g.keys()]).toEqual(['a', 'b']);
    expect(g.get('a')!.map((i) => i.expression)).toEqual(['x', 'z']);
  });
});

describe('tokenizer files beside a model graph', () => {
  it('are the repository root files, with the same origin revision', () => {
    const f = tokenizerFile({ key: 'Xenova/mobileclip_s0/onnx/text_model_quantized.onnx', bytes: 1, sha256: 'ab', origin: 'https://huggingface.co/Xenova/mobileclip_s0/resolve/main/onnx/text_model_quantized.onnx' }, 'tokenizer.json');
    expect(f).toEqual({ key: 'Xenova/mobileclip_s0/tokenizer.json', bytes: null, sha256: null, origin: 'https://huggingface.co/Xenova/mobileclip_s0/resolve/main/tokenizer.json' });
    expect(tokenizerFile({ key: 'fixtures/owlvit-b32.onnx', bytes: 1, sha256: 'x', origin: null }, 'tokenizer_config.json').key).toBe('fixtures/tokenizer_config.json');
  });
});
