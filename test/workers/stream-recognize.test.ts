/**
 * POST /v1/recognize with `Accept: text/event-stream` inside workerd, with the recorded LLM and the fixture
 * vision models: the order of the events, their content as the stages fill the entities, the final answer
 * (the JSON route's answer), failures before and after the first event, and billing when the stream ends.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { issueKey, usageRows, type TestKey } from '../support/accounts';
import { DURANT_ENTITIES as ENTITIES, DURANT_TEXT as TEXT, scriptedEnv } from '../support/llm';
import { encodePng, toBase64, whiteBlock } from '../support/images';

const app = createApp();
let key: TestKey;
beforeAll(async () => {
  key = await issueKey({ name: 'stream' });
});

const llmAnswering = (answers: string[], extra: Record<string, unknown> = {}) => scriptedEnv('stream', answers, extra);

/** A white block on black: the fixture detector boxes it, the decoder masks it. */
async function blockImage() {
  return toBase64(await encodePng(whiteBlock()));
}

const request = (body: unknown, accept?: string, auth = key.auth) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}), ...auth },
  body: JSON.stringify(body),
});

interface Sse { id: number; event: string; data: any }
/** A spec-following parser of the whole stream: fields per line, events at blank lines, comments ignored. */
async function readSse(res: Response): Promise<{ events: Sse[]; comments: number }> {
  const text = await res.text();
  const events: Sse[] = [];
  let comments = 0;
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let id = NaN, event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) { comments++; continue; }
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'id') id = Number(value);
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ id, event, data: JSON.parse(data.join('\n')) });
  }
  return { events, comments };
}

describe('POST /v1/recognize as an event stream', () => {
  it('streams entities after the LLM, then each entity as groundability, box and mask arrive, then the answer', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES }), JSON.stringify({ entities: ENTITIES })], { MODEL_SET: 'fixtures' });
    const body = { text: TEXT, image: { data: await blockImage() }, options: { masks: true } };
    const res = await app.request('/v1/recognize', request(body, 'text/event-stream'), e);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('connection')).toBeNull();
    const { events } = await readSse(res);

    expect(events.map((x) => x.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((x) => (x.event === 'entity' ? `${x.data.stage}:${x.data.index}` : x.event))).toEqual([
      'entities', 'entail:0', 'entail:1', 'ground:0', 'ground:1', 'segment:0', 'segment:1', 'answer',
    ]);
    // After the LLM: the entities with every vision field still empty.
    const first = events[0].data;
    expect(first.entities.map((x: any) => x.text)).toEqual(['Kevin Durant', 'Chase Center']);
    for (const x of first.entities) expect(x).toMatchObject({ groundable: null, entailment_score: null, box: null, mask: null });
    expect(first.dropped).toEqual([]);
    // Each stage adds its fields and nothing later.
    for (const x of events.filter((v) => v.event === 'entity')) {
      const ent = x.data.entity;
      expect(ent.text).toBe(first.entities[x.data.index].text);
      if (x.data.stage === 'entail') expect(ent).toMatchObject({ groundable: true, box: null, mask: null });
      if (x.data.stage === 'ground') expect(ent.box).not.toBeNull();
      if (x.data.stage === 'ground') expect(ent.mask).toBeNull();
      if (x.data.stage === 'segment') expect(ent.mask.size).toEqual([64, 96]);
    }
    // The last event is the answer the JSON route gives for the same request.
    const answer = events.at(-1)!.data;
    expect(answer.id).toBe(res.headers.get('x-request-id'));
    expect(answer.entities).toEqual([events[5].data.entity, events[6].data.entity]);
    const json = await (await app.request('/v1/recognize', request(body), e)).json<any>();
    expect(Object.keys(answer).sort()).toEqual(Object.keys(json).sort());
    const stable = (a: any) => ({ ...a, id: undefined, timings_ms: undefined, entities: a.entities.map((x: any) => ({ ...x, entailment_score: Math.round(x.entailment_score * 1e4) })) });
    expect(stable(answer)).toEqual(stable(json));
  });

  it('without vision stages: entities, then the answer (no entity events)', async () => {
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() } }, 'text/event-stream'), e);
    const { events } = await readSse(res);
    expect(events.map((x) => x.event)).toEqual(['entities', 'answer']);
    expect(events[1].data.warnings.join(' ')).toMatch(/entail stage is not configured/);
  });

  it('keeps the JSON answer for Accept: application/json, none, or JSON ranked above the stream', async () => {
    const e = await llmAnswering(Array(3).fill(JSON.stringify({ entities: ENTITIES })));
    const body = { text: TEXT, image: { data: await blockImage() } };
    for (const accept of [undefined, 'application/json', 'application/json, text/event-stream;q=0.5']) {
      const res = await app.request('/v1/recognize', request(body, accept), e);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json<any>()).entities).toHaveLength(2);
    }
  });

  it('a failure before the first event is an ordinary problem answer (no stream)', async () => {
    const noLlm = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('LLM_')));
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() } }, 'text/event-stream'), noLlm);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await res.json<any>()).type).toMatch(/llm-not-configured$/);
    const invalid = await app.request('/v1/recognize', request({ text: '' }, 'text/event-stream'), noLlm);
    expect(invalid.status).toBe(422);
  });

  it('a stage failing after the first event ends the stream with an error event (a problem)', async () => {
    // Remote vision stages nobody serves: entailment fails once the LLM has answered.
    const dead = 'http://127.0.0.1:9/';
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })], { ENTAIL_URL: dead, GROUND_URL: dead, SEGMENT_URL: dead });
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() } }, 'text/event-stream'), e);
    expect(res.status).toBe(200);
    const { events } = await readSse(res);
    expect(events.map((x) => x.event)).toEqual(['entities', 'error']);
    expect(events[1].data).toMatchObject({ status: 502, type: 'https://gmner.dev/problems/stage-failed' });
    expect(events[1].data.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('is billed like the JSON answer once the stream ends (units, LLM tokens)', async () => {
    const k = await issueKey({ name: 'stream-billing' });
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })]);
    const ctx = createExecutionContext();
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() } }, 'text/event-stream', k.auth), e, ctx);
    const { events } = await readSse(res);
    await waitOnExecutionContext(ctx);
    const answer = events.at(-1)!.data;
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: answer.id, route: 'POST /v1/recognize', units: 1, status: 200, outcome: 'ok', llm_tokens: answer.usage.total_tokens });
    expect(rows[0].llm_tokens).toBeGreaterThan(0);
  });
});

describe('billing a stream by what was delivered (issue 11, item 3)', () => {
  it('bills 1 unit to a client that leaves right after `entities` (the LLM work), without waiting for the answer', async () => {
    const k = await issueKey({ name: 'stream-left' });
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })], { MODEL_SET: 'fixtures' });
    const ctx = createExecutionContext();
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() }, options: { masks: true } }, 'text/event-stream', k.auth), e, ctx);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: entities')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: entities');
    expect(text).not.toContain('event: answer');
    await reader.cancel();
    await waitOnExecutionContext(ctx);
    const rows = await usageRows(k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ route: 'POST /v1/recognize', units: 1, status: 200, outcome: 'ok' });
  });

  it('does not bill a stream that ends in an error event of status >= 500 after `entities` (our fault)', async () => {
    const k = await issueKey({ name: 'stream-5xx' });
    const dead = 'http://127.0.0.1:9/';
    const e = await llmAnswering([JSON.stringify({ entities: ENTITIES })], { ENTAIL_URL: dead, GROUND_URL: dead, SEGMENT_URL: dead });
    const ctx = createExecutionContext();
    const res = await app.request('/v1/recognize', request({ text: TEXT, image: { data: await blockImage() } }, 'text/event-stream', k.auth), e, ctx);
    const { events } = await readSse(res);
    await waitOnExecutionContext(ctx);
    expect(events.map((x) => x.event)).toEqual(['entities', 'error']);
    expect(await usageRows(k.id)).toEqual([]);
  });
});
