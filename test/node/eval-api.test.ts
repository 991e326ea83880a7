/**
 * `npm run eval -- --api URL …` against a tiny local service (node:http on 127.0.0.1) over the three
 * fixture tweets in test/fixtures/eval/data, with generated tiny images. Checks the request the
 * command sends, bounded concurrency, a retry on 503, resuming from the JSONL output (including a
 * torn last line), and the scores of the answers.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../shared/data/node-load';
import { encodePngRgb } from '../../shared/vision/png-encode';
import { evalCli } from '../support/cli';
import { listenOnLoopback } from '../setup/free-ports';

/** A w x h grey PNG, by the project's own encoder, so the test needs no image library. */
const tinyPng = (w: number, h: number, grey: number) => encodePngRgb({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(grey) });

const TEXTS = { '101': 'Alice visits Paris today', O_202: 'Bob and Acme Corp', '16_05_03': 'I love New York' } as const;
type Id = keyof typeof TEXTS;

/** The service's answers: Alice and New York well boxed, Paris boxed although not in the image, "Acme" cut short. */
const ANSWERS: Record<Id, Array<{ text: string; type: string; box: [number, number, number, number] | null }>> = {
  '101': [{ text: 'Alice', type: 'PER', box: [12, 12, 50, 50] }, { text: 'Paris', type: 'LOC', box: [0, 0, 5, 5] }],
  O_202: [{ text: 'Bob', type: 'PER', box: null }, { text: 'Acme', type: 'ORG', box: null }],
  '16_05_03': [{ text: 'New York', type: 'LOC', box: [52, 52, 90, 70] }],
};

interface Seen { id: Id; auth: string | undefined; body: any }

describe('npm run eval -- --api (driving a service)', () => {
  let server: Server;
  let url = '';
  let dir = '';
  const images: Record<Id, Uint8Array> = { '101': tinyPng(4, 3, 10), O_202: tinyPng(2, 2, 200), '16_05_03': new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 0xff, 0xd9]) };
  const seen: Seen[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let mode: 'ok' | 'reject' = 'ok';
  const failedOnce = new Set<Id>();

  const body = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let s = '';
      req.on('data', (c) => (s += c));
      req.on('end', () => res(s));
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gmner-eval-api-'));
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images/101.png'), images['101']);
    writeFileSync(join(dir, 'images/O_202.jpg'), images.O_202); // PNG bytes behind a .jpg name, as happens in the dataset
    writeFileSync(join(dir, 'images/16_05_03.jpg'), images['16_05_03']);
    server = createServer(async (req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const b = JSON.parse(await body(req));
      const id = (Object.keys(TEXTS) as Id[]).find((k) => TEXTS[k] === b.text)!;
      seen.push({ id, auth: req.headers.authorization, body: b });
      await new Promise((r) => setTimeout(r, 80));
      inFlight--;
      const send = (status: number, o: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));
      if (req.method !== 'POST' || req.url !== '/v1/recognize') return send(404, { title: 'not found' });
      if (mode === 'reject') return send(400, { title: 'validation' });
      if (id === 'O_202' && !failedOnce.has(id)) {
        failedOnce.add(id);
        return send(503, { title: 'busy' });
      }
      send(200, {
        id: `req-${seen.length}`,
        entities: ANSWERS[id].map((e) => {
          const start = b.text.indexOf(e.text);
          const box = e.box && { x1: e.box[0], y1: e.box[1], x2: e.box[2], y2: e.box[3], score: 0.8 };
          return { text: e.text, start, end: start + e.text.length, type: e.type, fine_type: null, expansion: `${e.text}(${e.type})-x`, groundable: !!box, entailment_score: 0.5, box, mask: null };
        }),
        warnings: [],
      });
    });
    url = await listenOnLoopback(server);
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const data = join(REPO_ROOT, 'test/fixtures/eval/data');

  it('sends the API request shape, retries a 503, keeps concurrency bounded, scores the answers', async () => {
    const out = join(dir, 'out.jsonl');
    const r = await evalCli(['--api', url, '--data', data, '--images', join(dir, 'images'), '--out', out, '--limit', '2', '--concurrency', '2', '--json'], { GMNER_API_KEY: 'k-test' });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => s.id).sort()).toEqual(['101', 'O_202', 'O_202']);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    for (const s of seen) {
      expect(s.auth).toBe('Bearer k-test');
      expect(s.body.options).toEqual({ labels: 'gmner', masks: false });
      expect(s.body.text).toBe(TEXTS[s.id]);
      expect(new Uint8Array(Buffer.from(s.body.image.data, 'base64'))).toEqual(images[s.id]);
      expect(s.body.image.media_type).toBe('image/png');
    }
    // 101: Alice right, Paris boxed but not groundable; O_202: Bob right (None), "Acme" is not "Acme Corp"
    expect(JSON.parse(r.stdout)).toEqual({ task: 'gmner', precision: 50, recall: 50, f1: 50, tp: 2, n_pred: 4, n_gold: 4 });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id).sort()).toEqual(['101', 'O_202']);
    expect(lines[0]).toHaveProperty('text');
    expect(r.stderr).toMatch(/\[eval\] 2\/2 ok 2 failed 0/);
  });

  it('resumes: skips ids already answered, survives a torn last line, prints the table', async () => {
    const out = join(dir, 'out.jsonl');
    appendFileSync(out, '{"id":"16_05_03","entit'); // as if killed mid-write
    seen.length = 0;
    const r = await evalCli(['--api', url, '--data', data, '--images', join(dir, 'images'), '--out', out], { GMNER_API_KEY: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => s.id)).toEqual(['16_05_03']);
    expect(seen[0].auth).toBeUndefined();
    expect(seen[0].body.image.media_type).toBe('image/jpeg');
    expect(r.stderr).toMatch(/3 tweets, 2 already answered/);
    // all three tweets: GMNER 3/5 right (New York IoU 0.855 with its second box); MNER 4/5 (span key)
    expect(r.stdout).toMatch(/gmner\s+60\.00\s+60\.00\s+60\.00\s+3\s+5\s+5/);
    expect(r.stdout).toMatch(/eeg\s+60\.00\s+60\.00\s+60\.00\s+3\s+5\s+5/);
    expect(r.stdout).toMatch(/mner\s+80\.00\s+80\.00\s+80\.00\s+4\s+5\s+5\s+greedy, span key/);
  });

  it('reports failures, does not retry a 400, exits 1 and still scores what it has', async () => {
    mode = 'reject';
    seen.length = 0;
    const r = await evalCli(['--api', url, '--data', data, '--images', join(dir, 'images'), '--out', join(dir, 'fresh.jsonl'), '--json']);
    mode = 'ok';
    expect(r.code).toBe(1);
    expect(seen).toHaveLength(3);
    expect(r.stderr).toMatch(/failed 101: HTTP 400/);
    expect(r.stderr).toMatch(/answers for 0\/3 tweets/);
    expect(JSON.parse(r.stdout)).toMatchObject({ tp: 0, n_pred: 0, n_gold: 5 });
  });
});

describe('api-client (no server)', () => {
  it('sniffs the media type from the bytes and base64-encodes them', async () => {
    const { recognizeRequestBody, sniffMediaType } = await import('../../shared/eval/api-client');
    const { bytesToBase64 } = await import('../../shared/base64');
    const png = tinyPng(1, 1, 0);
    expect(sniffMediaType(png)).toBe('image/png');
    expect(sniffMediaType(new Uint8Array([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
    expect(sniffMediaType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffMediaType(new Uint8Array([1, 2, 3]))).toBeUndefined();
    const big = new Uint8Array(100_000).map((_, i) => i * 7);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(JSON.parse(recognizeRequestBody({ baseUrl: 'x', text: 't', image: new Uint8Array([1, 2, 3]) }))).toEqual({
      text: 't',
      image: { data: 'AQID' },
      options: { labels: 'gmner', masks: false },
    });
  });

  it('retries 429 (after Retry-After) and network errors, not 400', async () => {
    const { recognizeWithRetry } = await import('../../shared/eval/api-client');
    const call = { baseUrl: 'http://svc/', text: 't', image: new Uint8Array([1]) };
    const script = (steps: Array<() => Response>) => {
      const urls: string[] = [];
      const f = (async (u: string) => {
        urls.push(u);
        return steps.shift()!();
      }) as unknown as typeof fetch;
      return { f, urls };
    };
    const ok = () => new Response(JSON.stringify({ entities: [] }), { status: 200 });
    const a = script([() => new Response('slow down', { status: 429, headers: { 'retry-after': '0.01' } }), () => { throw new TypeError('socket hang up'); }, ok]);
    await expect(recognizeWithRetry(call, { fetchImpl: a.f, backoffMs: 1 })).resolves.toEqual({ entities: [] });
    expect(a.urls).toEqual(['http://svc/v1/recognize', 'http://svc/v1/recognize', 'http://svc/v1/recognize']);
    const b = script([() => new Response('{"title":"bad"}', { status: 400 }), ok]);
    await expect(recognizeWithRetry(call, { fetchImpl: b.f, backoffMs: 1 })).rejects.toThrow(/HTTP 400/);
    expect(b.urls).toHaveLength(1);
    const c = script([() => new Response('{}', { status: 200 })]);
    await expect(recognizeWithRetry(call, { fetchImpl: c.f })).rejects.toThrow(/no entities array/);
  });
});
