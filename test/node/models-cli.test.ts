/// <reference types="node" />
/**
 * The `models` command end to end in Node: pull from a local HTTP origin (verified, once), verify, publish to
 * s3rver with the manifest of hashes, trust-on-first-use for unpinned entries, inspect, fixtures.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../models/cli';
import { buildFixture, fixtureEntries, fixtureKey, fixtureOrigin } from '../../models/fixtures/index';
import { MODELS } from '../../models/manifest';
import { ModelStore, PUBLISHED_MANIFEST_KEY } from '../../shared/store/model-store';
import { s3ObjectStore } from '../../shared/store/s3';
import { sha256Hex } from '../../shared/store/sha256';
import { expectProblem } from '../helpers/model-fixtures';
import { listenOnLoopback } from '../setup/free-ports';
import { S3_TEST } from '../setup/s3-config';

/** A static file server over `files` (key -> bytes) that counts requests per path. */
let server: Server;
let base: string;
const served = new Map<string, Uint8Array>();
const hits: string[] = [];

/** Every file of the fixture set: each model's graph and, for a sharded one, each shard's. */
let fixtureKeys: string[] = [];

beforeAll(async () => {
  for (const entry of await fixtureEntries()) {
    for (const file of [...entry.files, ...(entry.shards?.shards.map((s) => s.file) ?? [])]) {
      served.set(file.key, await fixtureOrigin.fetch(entry, file));
    }
  }
  fixtureKeys = [...served.keys()];
  server = createServer((req, res) => {
    const key = decodeURIComponent(req.url!.slice(1));
    hits.push(key);
    const body = served.get(key);
    res.writeHead(body ? 200 : 404).end(body ? Buffer.from(body) : undefined);
  });
  base = `${await listenOnLoopback(server)}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const run = async (args: string[], env: Record<string, string> = {}) => {
  const lines: string[] = [];
  const code = await main(args, env, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'models-cli-'));
const s3env = { S3_ENDPOINT: S3_TEST.endpoint, S3_BUCKET: S3_TEST.publishBucket, S3_REGION: S3_TEST.region, S3_ACCESS_KEY_ID: S3_TEST.accessKeyId, S3_SECRET_ACCESS_KEY: S3_TEST.secretAccessKey };

describe('models command', () => {
  it('pull downloads every fixture once, verified, and verify then passes', async () => {
    const dir = tmp();
    hits.length = 0;
    const first = await run(['pull', '--set', 'fixtures', '--dir', dir, '--origin-base', base]);
    expect(first.code).toBe(0);
    expect(hits.sort()).toEqual([...fixtureKeys].sort());
    expect(first.out).toMatch(/sam-decoder-a: fixtures\/sam-decoder-a\.onnx \d+ bytes, downloaded from http:\/\/127\.0\.0\.1/);
    expect(readFileSync(join(dir, fixtureKey('owlvit-b32-image')))).toEqual(Buffer.from(buildFixture('owlvit-b32-image')));

    const second = await run(['pull', '--set', 'fixtures', '--dir', dir, '--origin-base', base]);
    expect(second.out).toMatch(/already present, verified/);
    expect(hits).toHaveLength(fixtureKeys.length);

    expect((await run(['verify', '--set', 'fixtures', '--dir', dir])).code).toBe(0);
    const file = join(dir, fixtureKey('mobileclip-s0-text'));
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([0])]));
    const bad = await run(['verify', '--set', 'fixtures', '--dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`MISMATCH mobileclip-s0-text: fixtures/mobileclip-s0-text.onnx expected ${await sha256Hex(buildFixture('mobileclip-s0-text'))}, got [0-9a-f]{64}`));
  });

  it('pull refuses a corrupted origin file and writes nothing', async () => {
    const dir = tmp();
    const key = fixtureKey('sam-decoder-b');
    const good = served.get(key)!;
    served.set(key, good.slice(1));
    try {
      await expectProblem(run(['pull', 'sam-decoder-b', '--set', 'fixtures', '--dir', dir, '--origin-base', base]), 'model-integrity', /sam-decoder-b/, new RegExp(await sha256Hex(good)));
    } finally {
      served.set(key, good);
    }
    expect((await run(['verify', 'sam-decoder-b', '--set', 'fixtures', '--dir', dir])).out).toMatch(/^MISSING/);
  });

  it('an unverified real entry needs --trust-on-first-use, which pins the hash in the folder', async () => {
    const dir = tmp();
    const entry = MODELS.find((m) => m.id === 'mobileclip-s0-text')!;
    expect(entry.files[0].sha256).toBeNull();
    const stand_in = buildFixture('mobileclip-s0-text'); // the real file cannot be downloaded here
    served.set(entry.files[0].key, stand_in);
    hits.length = 0;
    await expectProblem(run(['pull', 'mobileclip-s0-text', '--dir', dir, '--origin-base', base]), 'model-integrity', /no pinned SHA-256/);
    expect(hits).toHaveLength(0);

    const pinned = await run(['pull', 'mobileclip-s0-text', '--dir', dir, '--origin-base', base, '--trust-on-first-use']);
    expect(pinned.out).toMatch(/pinned by trust-on-first-use/);
    const folder = JSON.parse(readFileSync(join(dir, PUBLISHED_MANIFEST_KEY), 'utf8'));
    expect(folder.files[entry.files[0].key]).toEqual({ sha256: await sha256Hex(stand_in), bytes: stand_in.length });
    expect((await run(['verify', 'mobileclip-s0-text', '--dir', dir])).code).toBe(0);
  });

  it('publish uploads verified files and manifest.json to S3, whose hashes then pin unverified entries', async () => {
    const dir = tmp();
    await run(['fixtures', dir]);
    const pub = await run(['publish', '--set', 'fixtures', '--dir', dir], s3env);
    expect(pub.code).toBe(0);
    const bucket = s3ObjectStore({ endpoint: S3_TEST.endpoint, bucket: S3_TEST.publishBucket, region: S3_TEST.region, accessKeyId: S3_TEST.accessKeyId, secretAccessKey: S3_TEST.secretAccessKey });
    const manifest = JSON.parse(new TextDecoder().decode((await bucket.get(PUBLISHED_MANIFEST_KEY))!.bytes));
    for (const e of await fixtureEntries()) expect(manifest.files[e.files[0].key]).toEqual({ sha256: e.files[0].sha256, bytes: e.files[0].bytes });
    expect((await bucket.get(fixtureKey('owlvit-b32-image')))!.sha256).toBe((await fixtureEntries()).find((e) => e.id === 'owlvit-b32-image')!.files[0].sha256);

    // an entry the code has not pinned is served once the published manifest pins it
    const [fx] = (await fixtureEntries()).filter((e) => e.id === 'owlvit-b32-image');
    const unpinned = { ...fx, files: [{ ...fx.files[0], sha256: null, bytes: null }] };
    expect(await new ModelStore({ bucket }).load(unpinned, unpinned.files[0])).toEqual(buildFixture('owlvit-b32-image'));
  });

  it('publish refuses when any file fails verification, before uploading anything', async () => {
    const dir = tmp();
    await run(['fixtures', dir]);
    writeFileSync(join(dir, fixtureKey('sam-decoder-a')), 'not a model');
    await expect(run(['publish', '--set', 'fixtures', '--dir', dir], { ...s3env, S3_BUCKET: S3_TEST.modelsBucket })).rejects.toThrow(/not publishing: sam-decoder-a fixtures\/sam-decoder-a\.onnx is mismatch/);
  });

  it('inspect reports inputs, outputs, timings and the peak wasm heap', async () => {
    const { code, out } = await run(['inspect', 'sam-decoder-a', '--set', 'fixtures', '--runs', '2']);
    expect(code).toBe(0);
    expect(out).toMatch(/point_coords float32 \[1, num_points, 2\] \(fed \[1, 2, 2\]\)/);
    expect(out).toMatch(/masks float32 \[1, 4, orig_height, orig_width\] \(got \[1, 4, 480, 640\]\)/);
    expect(out).toMatch(/session create \d+ ms, first run [\d.]+ ms, median run [\d.]+ ms over 2 runs/);
    expect(out).toMatch(/wasm heap: 16\.0 MiB idle, [\d.]+ MiB after create, 23\.\d MiB peak/);
  });
});
