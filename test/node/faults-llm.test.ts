/**
 * Fault, against the service as `npm start` runs it (wrangler dev): the LLM server is killed while a
 * request waits on it, then restarted on the same port. The request in flight gets a precise 5xx problem
 * and is not billed (a stream too, before its first event); the next request succeeds and is billed once; the request log line of the failure
 * names its id, key, route, status and problem type (what finding it after a deploy needs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegBase64 } from '../../scripts/bench/test-card';
import { startLlmServer, type LlmServerHandle } from '../llm-server/server';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { freePort } from '../setup/free-ports';
import { checkProblem } from '../support/problem-check';
import { createKey, startWranglerDev, type CreatedKey, type DevServer } from '../support/wrangler-dev';

const state = mkdtempSync(join(tmpdir(), 'gmner-faults-llm-'));
const LLM_DELAY_MS = 3000;
let llmPort = 0;
let llm: LlmServerHandle | undefined;
let dev: DevServer | undefined;
let key: CreatedKey;
let body = '';

const startLlm = () => startLlmServer({ port: llmPort, recordings: UNIT_RECORDINGS });
const recognize = (accept = 'application/json') =>
  fetch(`${dev!.origin}/v1/recognize`, { method: 'POST', headers: { ...key.auth, 'content-type': 'application/json', accept }, body });
const usage = async () => (await (await fetch(`${dev!.origin}/v1/usage`, { headers: key.auth })).json()) as { totals: { units: number }; records: { status: number }[] };

beforeAll(async () => {
  llmPort = await freePort();
  llm = await startLlm();
  key = await createKey(state, { name: 'faults-llm' });
  dev = await startWranglerDev({
    state,
    // No retries: the failure must reach the client rather than be retried into the restarted server.
    vars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: `slow?delay_ms=${LLM_DELAY_MS}`, LLM_MAX_RETRIES: '0' },
  });
  body = JSON.stringify({ text: UNIT_RECORDINGS[2].text, image: { data: await jpegBase64(160, 120), media_type: 'image/jpeg' } });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  await llm?.close();
  rmSync(state, { recursive: true, force: true });
});

/** Sends a request and kills the LLM server once the Worker is waiting on it (the connection drops). */
async function killDuring(accept?: string): Promise<Response> {
  const before = llm!.stats.requests;
  const inFlight = recognize(accept);
  for (let i = 0; i < 200 && llm!.stats.requests === before; i++) await new Promise((r) => setTimeout(r, 50));
  expect(llm!.stats.requests).toBe(before + 1); // the Worker is now waiting on the LLM
  await llm!.close();
  llm = undefined;
  return inFlight;
}

describe('fault: the LLM server dies mid-request and comes back', () => {
  it('precise 5xx, nothing billed; after the restart the next request succeeds and is billed once', async () => {
    const failed = await killDuring();
    const text = await failed.text();
    const problem = checkProblem(failed.status, failed.headers.get('content-type'), text);
    if (typeof problem === 'string') throw new Error(problem);
    // The dropped connection is "could not be reached": 503, as a provider that is down.
    expect(failed.status).toBe(503);
    expect(problem.kind).toBe('llm-unavailable');
    expect(problem.body.detail).not.toContain('127.0.0.1'); // no upstream address in what the client reads
    expect((await usage()).totals.units).toBe(0);

    // While it is down: still precise, still free.
    const down = await recognize();
    expect(typeof checkProblem(down.status, down.headers.get('content-type'), await down.text())).toBe('object');
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect((await usage()).totals.units).toBe(0);

    llm = await startLlm();
    const ok = await recognize();
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(((await ok.json()) as { entities: unknown[] }).entities.length).toBeGreaterThan(0);
    const after = await usage();
    expect(after.totals.units).toBe(1);
    expect(after.records.map((r) => r.status)).toEqual([200]);

    // The failure's log line, found by the id the client saw.
    const id = failed.headers.get('x-request-id');
    expect(id).toBeTruthy();
    const line = dev!.output().split('\n').map((l) => l.slice(l.indexOf('{'))).filter((l) => l.includes(`"request_id":"${id}"`) && l.includes('"status"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(line).toMatchObject({ level: 'error', request_id: id, key_id: key.id, method: 'POST', route: '/v1/recognize', status: failed.status, problem: problem.kind });
    expect(line.duration_ms).toBeGreaterThan(0);
  }, 120_000);

  it('a stream waiting on the LLM (before its first event) gets the same precise problem, unbilled; then streams again', async () => {
    const units = (await usage()).totals.units;
    const failed = await killDuring('text/event-stream');
    const problem = checkProblem(failed.status, failed.headers.get('content-type'), await failed.text());
    if (typeof problem === 'string') throw new Error(problem);
    expect([failed.status, problem.kind]).toEqual([503, 'llm-unavailable']);
    expect((await usage()).totals.units).toBe(units);

    llm = await startLlm();
    const ok = await recognize('text/event-stream');
    expect(ok.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await ok.text()).toMatch(/event: entities\n[\s\S]*event: answer\n/);
    expect((await usage()).totals.units).toBe(units + 1);
  }, 120_000);
});
