import { expect, it } from 'vitest';
import { crc32, encodePngRgb } from '../../shared/vision/png-encode';
import { imageDecoder } from '../../functions/api/recognize/image-decoder';

it('crc32 of "123456789" is the standard check value', () => {
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
});

it('the PNG sent to the VLM decodes back to the same RGB pixels (alpha dropped)', async () => {
  const w = 7, h = 5;
  const data = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 77 : (i * 53) % 256));
  const png = encodePngRgb({ width: w, height: h, data });
  const back = await imageDecoder().decode(png, 'png');
  expect([back.width, back.height]).toEqual([w, h]);
  for (let i = 0; i < w * h; i++) {
    expect(Array.from(back.data.subarray(i * 4, i * 4 + 4))).toEqual([data[i * 4], data[i * 4 + 1], data[i * 4 + 2], 255]);
  }
});
