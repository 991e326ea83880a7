/**
 * Fault, against the service as `npm start` runs it (wrangler dev, MODEL_SET=fixtures, MODEL_STORE=s3):
 * the model store (s3rver, a real S3 protocol server) is down when the first request needs a model, then
 * comes back. While it is down: a precise 502 `model-store-failed`, not billed. Once it is back: the next
 * request loads the models (filling the bucket from the origin) and succeeds with boxes and masks, so the
 * failure was not cached; the one after succeeds too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegBase64 } from '../../scripts/bench/test-card';
import { startLlmServer, type LlmServerHandle } from '../llm-server/server';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { freePort } from '../setup/free-ports';
import { checkProblem } from '../support/problem-check';
import { createKey, startWranglerDev, type CreatedKey, type DevServer } from '../support/wrangler-dev';

const state = mkdtempSync(join(tmpdir(), 'gmner-faults-store-'));
const s3dir = mkdtempSync(join(tmpdir(), 'gmner-faults-s3-'));
const BUCKET = 'gmner-models-fault';
let s3Port = 0;
let s3: S3rver | undefined;
let llm: LlmServerHandle | undefined;
let dev: DevServer | undefined;
let key: CreatedKey;
let body = '';

const startS3 = async () => {
  const server = new S3rver({ address: '127.0.0.1', port: s3Port, silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET }] });
  await server.run();
  return server;
};
const recognize = () => fetch(`${dev!.origin}/v1/recognize`, { method: 'POST', headers: { ...key.auth, 'content-type': 'application/json' }, body });
const units = async () => ((await (await fetch(`${dev!.origin}/v1/usage`, { headers: key.auth })).json()) as { totals: { units: number } }).totals.units;

beforeAll(async () => {
  s3Port = await freePort();
  llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  key = await createKey(state, { name: 'faults-store' });
  dev = await startWranglerDev({
    state,
    vars: {
      LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded', MODEL_SET: 'fixtures', MODEL_STORE: 's3',
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`, S3_BUCKET: BUCKET, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
  });
  body = JSON.stringify({ text: UNIT_RECORDINGS[2].text, image: { data: await jpegBase64(320, 240), media_type: 'image/jpeg' }, options: { masks: true } });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  await s3?.close();
  await llm?.close();
  rmSync(state, { recursive: true, force: true });
  rmSync(s3dir, { recursive: true, force: true });
});

describe('fault: the model store is down, then back', () => {
  it('precise 502 model-store-failed while down, unbilled; success once it is back, nothing poisoned', async () => {
    const down = await recognize();
    const problem = checkProblem(down.status, down.headers.get('content-type'), await down.text());
    if (typeof problem === 'string') throw new Error(problem);
    expect(down.status).toBe(502);
    expect(problem.kind).toBe('model-store-failed');
    expect(await units()).toBe(0);

    s3 = await startS3();
    for (const attempt of [1, 2]) {
      const ok = await recognize();
      expect(ok.status, `after recovery, request ${attempt}: ${await ok.clone().text()}`).toBe(200);
      const answer = (await ok.json()) as { entities: { box: unknown; mask: unknown }[] };
      expect(answer.entities.some((e) => e.box && e.mask)).toBe(true);
    }
    expect(await units()).toBe(2);
    expect((await fetch(`${dev!.origin}/healthz`)).status).toBe(200);
  }, 180_000);
});
