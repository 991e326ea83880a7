/**
 * Deadlines and failures of remote stages, end to end through the api: a stage host that hangs gives 504
 * stage-timeout within the configured time and the next request is served; one that dies gives 502 stage-failed;
 * a problem raised inside a stage Worker keeps its kind across the binding. The binding doubles stand in for the
 * stage Worker's RPC stub only; the api, the orchestrator and the remote client are the product's.
 */
import { createExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { EntailService } from '../../functions/entail/index';
import type { Entailment } from '../../shared/pipeline/contracts';
import { ProblemError } from '../../shared/problems';
import { problemFromRpc, rpcCallee } from '../../shared/rpc-errors';
import { httpStage, rpcStage, type EntailRpc } from '../../shared/stages/remote';
import { issueKey } from '../support/accounts';
import { DURANT_TEXT as TEXT, scriptedEnv } from '../support/llm';
import { BLUE, RED, encodePng, makeImage, toBase64 } from '../support/images';

const ENTITIES = [{ text: 'Kevin Durant', type: 'person', fine_type: null, expansion: 'an American basketball player' }];
const app = createApp();
let auth: Record<string, string> = {};
beforeAll(async () => {
  auth = (await issueKey({ name: 'stage-deadlines' })).auth;
});

async function envWith(extra: Record<string, unknown>, answers = 3) {
  // the other stages remote too, answering at once (else they would run in-process from the default set)
  const others = { GROUND_SERVICE: { prepare: async () => undefined, ground: async (_i: unknown, _k: unknown, x: string[]) => x.map(() => null) }, SEGMENT_SERVICE: { prepare: async () => undefined, segment: async () => [] } };
  return scriptedEnv('deadlines', Array(answers).fill(JSON.stringify({ entities: ENTITIES })), { ...others, ...extra });
}
const recognize = async (e: Record<string, unknown>) => {
  const png = await encodePng(makeImage(48, 32, (x) => (x < 24 ? RED : BLUE)));
  return app.request('/v1/recognize', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ text: TEXT, image: { data: toBase64(png), media_type: 'image/png' } }) }, e);
};
const never = <T>() => new Promise<T>(() => undefined);

describe('remote stage deadlines through the api', () => {
  it('a stage Worker that hangs: 504 stage-timeout at the deadline, and the next request is served', async () => {
    let calls = 0;
    const binding: EntailRpc = {
      prepare: async () => undefined,
      entail: (_img, _key, expressions) => (++calls === 1 ? never<Entailment[]>() : Promise.resolve(expressions.map(() => ({ groundable: false, score: 0.25 })))),
    };
    const e = await envWith({ ENTAIL_SERVICE: binding, ENTAIL_TIMEOUT_MS: '300' });
    const t0 = Date.now();
    const hung = await recognize(e);
    const waited = Date.now() - t0;
    expect(hung.status).toBe(504);
    const p = await hung.json<any>();
    expect(p.type).toBe('https://gmner.dev/problems/stage-timeout');
    expect(p.detail).toMatch(/entail Worker \(ENTAIL_SERVICE\.entail\) did not answer within 300 ms/);
    expect(waited).toBeLessThan(5000);
    const next = await recognize(e);
    expect(next.status).toBe(200);
    expect((await next.json<any>()).entities[0]).toMatchObject({ groundable: false, entailment_score: 0.25 });
  });

  it('STAGE_TIMEOUT_MS applies to every stage unless the stage has its own', async () => {
    const binding: EntailRpc = { prepare: () => never(), entail: async () => [] };
    const res = await recognize(await envWith({ ENTAIL_SERVICE: binding, STAGE_TIMEOUT_MS: '200' }));
    expect(res.status).toBe(504);
    expect((await res.json<any>()).detail).toMatch(/ENTAIL_SERVICE\.prepare\) did not answer within 200 ms/);
  });

  it('a stage Worker that dies: 502 stage-failed naming the stage', async () => {
    const binding: EntailRpc = { prepare: async () => undefined, entail: () => Promise.reject(new Error('Network connection lost.')) };
    const res = await recognize(await envWith({ ENTAIL_SERVICE: binding }));
    expect(res.status).toBe(502);
    const p = await res.json<any>();
    expect(p.type).toBe('https://gmner.dev/problems/stage-failed');
    expect(p.dependency).toBe('entail');
    expect(p.detail).toMatch(/ENTAIL_SERVICE.*failed \(the Worker crashed or the binding broke\)/);
    // the callee's own words stay in our logs (the problem's cause), not in the answer
    expect(p.detail).not.toMatch(/Network connection lost/);
  });
});

describe('problems across the binding', () => {
  it('an exception that is not a problem crosses as a plain failure: its text (ORT build paths, sockets) stays in the callee', async () => {
    const raw = await rpcCallee(async () => { throw new Error('ERROR_CODE: 6 /mnt/vss/_work/onnxruntime/core/framework/x.cc'); }).catch((e) => e as Error);
    expect(raw.message).toBe('[problem:stage-failed] failed (its own log has the error)');
    const p = problemFromRpc(raw, 'the Worker hosting model "m"', 'm');
    expect(p.kind).toBe('stage-failed');
    expect(p.message).not.toMatch(/mnt|ERROR_CODE/);
  });

  it('a problem raised in the stage Worker arrives with its kind (model-over-budget), not as stage-failed', async () => {
    const svc = new EntailService(createExecutionContext(), { MODEL_SET: 'fixtures', MODEL_STORE: 'origin', MEMORY_BUDGET_MB: '1' });
    const raw = await svc.entail({ width: 8, height: 8, data: new Uint8Array(256) }, 'k', ['x']).catch((e) => e);
    expect(raw).not.toBeInstanceOf(ProblemError); // what RPC would carry: a plain Error with a tagged message
    const stage = rpcStage('entail', svc as unknown as EntailRpc, { name: 'ENTAIL_SERVICE' });
    const err = await stage.entail({ width: 8, height: 8, data: new Uint8Array(256) }, 'k', ['x']).catch((e) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).kind).toBe('model-over-budget');
  });

  it('over HTTP the deadline aborts the request on the wire', async () => {
    let aborted: unknown = null;
    const hanging = ((_: RequestInfo | URL, init?: RequestInit) => new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener('abort', () => { aborted = init.signal!.reason; reject(init.signal!.reason); });
    })) as typeof fetch;
    const stage = httpStage('entail', 'https://internal-host/', { name: 'ENTAIL_URL', timeoutMs: 100, fetch: hanging });
    expect(stage.id).toBe('entail:http:ENTAIL_URL');
    const err = await stage.entail({ width: 1, height: 1, data: new Uint8Array(4) }, 'k', ['x']).catch((e) => e);
    expect((err as ProblemError).kind).toBe('stage-timeout');
    expect((err as ProblemError).status).toBe(504);
    expect((err as ProblemError).message).not.toContain('internal-host');
    expect(aborted).toBeInstanceOf(ProblemError);
  });

  it('over HTTP the deadline covers the body too: a host that sends its headers and then stalls is a 504', async () => {
    const stalls = (async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"results": [')) }), { status: 200 })) as typeof fetch;
    const stage = httpStage('entail', 'https://internal-host/', { name: 'ENTAIL_URL', timeoutMs: 100, fetch: stalls });
    const err = await stage.entail({ width: 1, height: 1, data: new Uint8Array(4) }, 'k', ['x']).catch((e) => e);
    expect((err as ProblemError).kind).toBe('stage-timeout');
  });
});
