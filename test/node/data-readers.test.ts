/** Readers on small hand-written fixtures (test/fixtures/eval); no research data needed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiPredictions, parseApiJsonl } from '../../shared/data/api-answers';
import { parseConll } from '../../shared/data/conll';
import { detectFormat } from '../../shared/data/detect';
import { buildGmnerTweets, gmnerGold } from '../../shared/data/gmner';
import { loadConllWithBoxes, loadSmnerMasks } from '../../shared/data/node-load';
import { attachRefcocoBoxes, parseRivegGold, parseRivegPred, splitNameType } from '../../shared/data/riveg';
import { parseSmnerJson, withGoldMasks } from '../../shared/data/smner';
import { parseVocXml } from '../../shared/data/voc';
import { rleArea } from '../../shared/vision/rle';

const FIX = join(__dirname, '../fixtures/eval');
const GM = join(FIX, 'data/GMNER/Twitter10000_v2.0');
const read = (p: string) => readFileSync(join(FIX, p), 'utf8');

describe('CoNLL with IMGID lines', () => {
  it('splits tweets, keeps tag columns, tolerates CRLF and a missing final blank line', () => {
    const lf = parseConll(read('data/GMNER/Twitter10000_v2.0/txt/test.txt'));
    const crlf = parseConll('IMGID:101\r\nAlice\tB-PER\r\nvisits\tO\r\n\r\nIMGID:9\r\nX\tO\tO');
    expect(lf.map((b) => b.id)).toEqual(['101', 'O_202', '16_05_03']);
    expect(lf[1].tokens).toEqual(['Bob', 'and', 'Acme', 'Corp']);
    expect(lf[1].columns).toEqual([['B-PER', 'O', 'B-ORG', 'I-ORG']]);
    expect(crlf.map((b) => [b.id, b.tokens, b.columns.length])).toEqual([['101', ['Alice', 'visits'], 1], ['9', ['X'], 2]]);
  });
  it('rejects a line without a tag', () => {
    expect(() => parseConll('IMGID:1\nAlice\n')).toThrow(/line 2/);
  });
});

describe('Pascal-VOC xml', () => {
  it('reads size and every object', () => {
    const v = parseVocXml(read('data/GMNER/Twitter10000_v2.0/xml/16_05_03.xml'));
    expect(v.width).toBe(100);
    expect(v.height).toBe(80);
    expect(v.objects).toEqual([
      { name: 'New York', box: { x1: 0, y1: 0, x2: 40, y2: 30 } },
      { name: 'New York', box: { x1: 50, y1: 50, x2: 90, y2: 70 } },
    ]);
  });
});

describe('GMNER tweets', () => {
  const tweets = loadConllWithBoxes(join(GM, 'txt/test.txt'), join(GM, 'xml'));
  it('text = tokens joined by single spaces; char and token spans agree', () => {
    const t = tweets[0];
    expect(t.text).toBe('Alice visits Paris today');
    expect(t.image).toEqual({ width: 100, height: 80 });
    for (const tw of tweets) for (const e of tw.entities) {
      expect(tw.text.slice(e.start, e.end)).toBe(e.text);
      expect(tw.tokens.slice(e.tokenStart, e.tokenEnd).join(' ')).toBe(e.text);
    }
    expect(tweets[1].entities.map((e) => [e.text, e.type, e.tokenStart, e.tokenEnd, e.start, e.end])).toEqual([
      ['Bob', 'PER', 0, 1, 0, 3],
      ['Acme Corp', 'ORG', 2, 4, 8, 17],
    ]);
  });
  it('groundable iff an xml object has the same name; all such objects are its boxes', () => {
    expect(tweets[0].entities.map((e) => [e.text, e.groundable, e.boxes.length])).toEqual([['Alice', true, 1], ['Paris', false, 0]]);
    expect(tweets[1].image).toBeUndefined();
    expect(tweets[2].entities[0].boxes).toHaveLength(2);
    expect(gmnerGold(tweets)).toHaveLength(5);
  });
  it('FMNERG layout gives fine types', () => {
    const t = buildGmnerTweets('IMGID:1\nGarfield\tB-location\tB-park\nPark\tI-location\tI-park\nrocks\tO\tO\n', () => undefined);
    expect(t[0].entities[0]).toMatchObject({ text: 'Garfield Park', type: 'location', fine_type: 'park', groundable: false });
  });
});

describe('RiVEG line formats', () => {
  it('gold: id, Name(TYPE), groundability, every box', () => {
    const g = parseRivegGold(read('riveg-gold.txt'));
    expect(g).toHaveLength(5);
    expect(g[0]).toEqual({
      id: '1', name: 'Alice', type: 'PER', groundable: true,
      boxes: [{ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 20, y1: 20, x2: 30, y2: 30 }],
    });
    expect(g[1]).toMatchObject({ name: 'Bob', groundable: false, boxes: [] });
  });
  it('predictions, raw (OFAVE_to_OFAREC) and assembled with a box', () => {
    const raw = parseRivegPred(read('riveg-pred.txt'));
    const asm = parseRivegPred(read('riveg-pred-assembled.txt'));
    expect(raw[0]).toMatchObject({ uniq_id: '1.jpg#a1', id: '1', name: 'Alice', type: 'PER', groundable: true, box: null, expression: 'Alice(PER)-A person.' });
    expect(asm[0].box).toEqual({ x1: 21, y1: 21, x2: 31, y2: 31 });
    expect(asm[2]).toMatchObject({ groundable: false, box: null });
  });
  it('VG boxes join on uniq_id, whatever the order of the json', () => {
    const joined = attachRefcocoBoxes(parseRivegPred(read('riveg-pred.txt')), JSON.parse(read('riveg-refcoco.json')));
    expect(joined.map((p) => p.box)).toEqual(parseRivegPred(read('riveg-pred-assembled.txt')).map((p) => p.box));
  });
  it('Name(TYPE) splits at the last parenthesis', () => {
    expect(splitNameType('Guns N (Roses)(ORG)')).toEqual({ name: 'Guns N (Roses)', type: 'ORG' });
    expect(() => splitNameType('NoType')).toThrow();
  });
});

describe('API answer JSON lines', () => {
  const line = (id: string, ents: object[], text?: string) => JSON.stringify({ id, ...(text ? { text } : {}), entities: ents });
  const ent = { text: 'Alice', start: 0, end: 5, type: 'PER', fine_type: null, expansion: 'x', groundable: true, box: { x1: 1, y1: 2, x2: 3, y2: 4, score: 0.9 }, mask: null };
  it('reads lines, later lines for an id replace earlier ones, a null box means None', () => {
    const lines = parseApiJsonl([line('101', [ent]), line('101', [{ ...ent, box: null }], 'Alice visits'), ''].join('\n'));
    const p = apiPredictions(lines);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ id: '101', name: 'Alice', start: 0, end: 5, groundable: false, box: null });
  });
  it('masks are the region for SMNER', () => {
    const m = { size: [2, 2], counts: '04' };
    const p = apiPredictions(parseApiJsonl(line('1', [{ ...ent, mask: m }])), 'mask');
    expect(p[0]).toMatchObject({ groundable: true, mask: m });
  });
  it('a truncated last line is tolerated only on request; bad lines name their number', () => {
    const text = `${line('1', [])}\n{"id":"2","ent`;
    expect(() => parseApiJsonl(text)).toThrow(/line 2/);
    expect(parseApiJsonl(text, true)).toHaveLength(1);
    expect(() => parseApiJsonl('{"id":"1"}')).toThrow(/line 1: entities/);
  });
});

describe('SMNER json (COCO-style; schema of the release unknown)', () => {
  it('a COCO dataset with polygon, uncompressed and compressed RLE', () => {
    const [im] = parseSmnerJson(JSON.parse(read('smner-coco.json')));
    expect(im.id).toBe('101');
    expect(im.objects.map((o) => [o.name, rleArea(o.mask)])).toEqual([['Alice', 35], ['Alice', 5], ['Paris', 30]]);
  });
  it('a LabelMe-style file per image, id from the file name', () => {
    const [im] = loadSmnerMasks(join(FIX, 'smner-labelme'));
    expect(im).toMatchObject({ id: '101', height: 10, width: 10 });
    expect(im.objects[0].mask.counts).toBe(';5500000000000c0');
  });
  it('joins masks to gold entities by image id and name; no mask = ungroundable', () => {
    const tweets = loadConllWithBoxes(join(GM, 'txt/test.txt'), join(GM, 'xml'));
    const g = withGoldMasks(gmnerGold(tweets), parseSmnerJson(JSON.parse(read('smner-coco.json'))));
    expect(g.filter((e) => e.groundable).map((e) => [e.id, e.name, e.masks!.length])).toEqual([['101', 'Alice', 2], ['101', 'Paris', 1]]);
  });
  it('fails loudly on shapes it does not know', () => {
    expect(() => parseSmnerJson({ height: 2, width: 2, objects: [{ name: 'A', segmentation: 'x' }] }, '1')).toThrow(/unrecognised segmentation/);
    expect(() => parseSmnerJson({ height: 2, width: 2, objects: [{ segmentation: [[0, 0, 1, 0, 1, 1]] }] }, '1')).toThrow(/no entity name/);
  });
});

describe('format detection', () => {
  it.each([
    ['IMGID:1\nA\tO\n', 'conll'],
    ['{"id":"1","entities":[]}\n', 'api'],
    ['1.jpg###A(PER)###d###0###&[0, 0, 0, 0]\n', 'riveg'],
    ['Imageid:1.jpg#ab###A(PER)###A(PER)-x###0\n', 'riveg'],
    ['hello\n', undefined],
  ])('%j -> %s', (text, f) => expect(detectFormat(text)).toBe(f));
});
