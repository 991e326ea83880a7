/// <reference types="node" />
/**
 * The requests of the load suite (scripts/bench/load.ts), one function per kind, each sent the way a
 * client would and judged by itself: a success must look like one, and every other answer must be a
 * precise problem+json of the catalogue (test/support/problem-check.ts).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { checkProblem, checkProblemBody } from '../../test/support/problem-check';

export const KINDS = ['sync-json', 'multipart', 'sse', 'sse-drop', 'job', 'batch', 'hook', 'bad'] as const;
export type Kind = (typeof KINDS)[number];

export interface Sample {
  kind: Kind;
  masks: boolean;
  /** HTTP status; 0 when no answer came (connection failure). */
  status: number;
  ms: number;
  /** A success, or a precise problem. */
  precise: boolean;
  /** Why the answer is neither a success nor a precise problem. */
  issue?: string;
  /** The problem type slug of a non-2xx answer. */
  problem?: string;
  /** Jobs this request created (job, batch, hook). */
  jobs?: string[];
}

export interface LoadTarget {
  origin: string;
  auth: Record<string, string>;
  /** Inbound hook source configured on the server for this key, and its secret. */
  hook: { source: string; secret: string };
  callbackUrl: string;
  posts: string[];
  /** An inline JPEG (base64) for the posts. */
  image: string;
}

export const newHookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

let seq = 0;
const post = (t: LoadTarget) => t.posts[seq++ % t.posts.length];

function recognizeBody(t: LoadTarget, masks: boolean) {
  return { text: post(t), image: { data: t.image, media_type: 'image/jpeg' }, options: { masks } };
}

const json = (t: LoadTarget, body: unknown, extra: Record<string, string> = {}): RequestInit => ({
  method: 'POST', headers: { ...t.auth, 'content-type': 'application/json', ...extra }, body: JSON.stringify(body),
});

/** Judges a complete answer: `want` is what a success looks like for this kind. */
async function judge(kind: Kind, masks: boolean, res: Response, t0: number, want: (body: any) => string | null): Promise<Sample> {
  const text = await res.text();
  const ms = performance.now() - t0;
  const base = { kind, masks, status: res.status, ms };
  if (res.ok) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ...base, precise: false, issue: `${res.status} that is not JSON: ${text.slice(0, 200)}` };
    }
    const wrong = want(body);
    return wrong ? { ...base, precise: false, issue: `${res.status}: ${wrong}` } : { ...base, precise: true, jobs: jobIds(body) };
  }
  const p = checkProblem(res.status, res.headers.get('content-type'), text);
  return typeof p === 'string' ? { ...base, precise: false, issue: p } : { ...base, precise: true, problem: p.kind };
}

function jobIds(body: any): string[] | undefined {
  if (Array.isArray(body?.jobs)) return body.jobs.map((j: { id: string }) => j.id);
  return typeof body?.id === 'string' && body.id.startsWith('job_') ? [body.id] : undefined;
}

const isAnswer = (b: any) => (Array.isArray(b?.entities) && b?.timings_ms ? null : 'not a recognition answer');
const isJob = (b: any) => (typeof b?.id === 'string' && b.status === 'queued' ? null : 'not a queued job');
const isBatch = (b: any) => (Array.isArray(b?.jobs) && b.jobs.length ? null : 'not a batch');

async function sse(t: LoadTarget, masks: boolean, drop: boolean): Promise<Sample> {
  const kind: Kind = drop ? 'sse-drop' : 'sse';
  const ctl = new AbortController();
  const t0 = performance.now();
  const res = await fetch(`${t.origin}/v1/recognize`, { ...json(t, recognizeBody(t, masks), { accept: 'text/event-stream' }), signal: ctl.signal });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return judge(kind, masks, res, t0, () => 'a JSON answer to an SSE request');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const base = { kind, masks, status: res.status };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      if (drop && buf.includes('event: entities')) {
        ctl.abort(); // hang up as soon as the LLM's work has been delivered
        return { ...base, ms: performance.now() - t0, precise: true };
      }
    }
  } catch (e) {
    return { ...base, ms: performance.now() - t0, precise: false, issue: `stream broke: ${(e as Error).message}` };
  }
  const ms = performance.now() - t0;
  const error = /event: error\ndata: (.*)\n/.exec(buf);
  if (error) {
    let body: Record<string, unknown> = {};
    try { body = JSON.parse(error[1]); } catch { /* judged below */ }
    const p = checkProblemBody(null, body);
    return typeof p === 'string' ? { ...base, ms, precise: false, issue: `event: error ${p}` } : { ...base, ms, precise: true, problem: p.kind };
  }
  if (!/event: answer\n/.test(buf)) return { ...base, ms, precise: false, issue: `stream ended without event: answer (${buf.length} bytes)` };
  return { ...base, ms, precise: true };
}

function hookRequest(t: LoadTarget, data: unknown, sign = true): RequestInit {
  const payload = JSON.stringify({ type: 'post.created', data });
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const at = new Date();
  const signature = sign ? new Webhook(t.hook.secret).sign(id, at, payload) : `v1,${randomBytes(32).toString('base64')}`;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    body: payload,
  };
}

/** Bad input, in turn: each must come back as a precise 4xx problem. */
const BAD: ((t: LoadTarget) => [string, RequestInit])[] = [
  (t) => ['/v1/recognize', json(t, { text: '' })],
  (t) => ['/v1/recognize', { method: 'POST', headers: { ...t.auth, 'content-type': 'text/plain' }, body: 'hello' }],
  (t) => ['/v1/recognize', { method: 'POST', headers: { ...t.auth, 'content-type': 'application/json' }, body: '{"text": ' }],
  (t) => ['/v1/recognize', json(t, { text: post(t), image: { data: Buffer.from('not an image at all').toString('base64'), media_type: 'image/jpeg' } })],
  (t) => ['/v1/recognize', json(t, { text: post(t) }, { authorization: 'Bearer gmn_not-a-key' })],
  (t) => ['/v1/jobs', json(t, { ...recognizeBody(t, false), callback_url: 'http://10.0.0.1/x' })],
  (t) => ['/v1/batch', json(t, { items: [] })],
  (t) => [`/v1/hooks/${t.hook.source}`, hookRequest(t, { text: post(t) }, false)],
  (t) => ['/v1/nowhere', { headers: t.auth }],
  (t) => ['/v1/jobs/job_00000000000000000000000000000000', { headers: t.auth }],
];
let badN = 0;

export async function send(t: LoadTarget, kind: Kind, masks: boolean): Promise<Sample> {
  const t0 = performance.now();
  try {
    switch (kind) {
      case 'sync-json':
        return judge(kind, masks, await fetch(`${t.origin}/v1/recognize`, json(t, recognizeBody(t, masks))), t0, isAnswer);
      case 'multipart': {
        const form = new FormData();
        form.set('text', post(t));
        form.set('image', new Blob([Buffer.from(t.image, 'base64')], { type: 'image/jpeg' }), 'photo.jpg');
        form.set('options', JSON.stringify({ masks }));
        return judge(kind, masks, await fetch(`${t.origin}/v1/recognize`, { method: 'POST', headers: t.auth, body: form }), t0, isAnswer);
      }
      case 'sse':
      case 'sse-drop':
        return await sse(t, masks, kind === 'sse-drop');
      case 'job':
        return judge(kind, masks, await fetch(`${t.origin}/v1/jobs`, json(t, { ...recognizeBody(t, masks), callback_url: t.callbackUrl })), t0, isJob);
      case 'batch': {
        const items = [recognizeBody(t, masks), recognizeBody(t, masks)];
        return judge(kind, masks, await fetch(`${t.origin}/v1/batch`, json(t, { items, callback_url: t.callbackUrl })), t0, isBatch);
      }
      case 'hook':
        return judge(kind, masks, await fetch(`${t.origin}/v1/hooks/${t.hook.source}`, hookRequest(t, { ...recognizeBody(t, masks), callback_url: t.callbackUrl })), t0, isJob);
      case 'bad': {
        const [path, init] = BAD[badN++ % BAD.length](t);
        const s = await judge(kind, masks, await fetch(`${t.origin}${path}`, init), t0, () => `bad input to ${path} was accepted`);
        return s.status >= 400 && s.status < 500 ? s : { ...s, precise: false, issue: s.issue ?? `bad input to ${path} answered ${s.status}` };
      }
    }
  } catch (e) {
    return { kind, masks, status: 0, ms: performance.now() - t0, precise: false, issue: `no answer: ${(e as Error).message}` };
  }
}

/** A job's own view, for the lost-jobs check: its status, and whether a failure carries a precise problem. */
export async function jobState(origin: string, auth: Record<string, string>, id: string): Promise<{ status: string; issue?: string }> {
  const res = await fetch(`${origin}/v1/jobs/${id}`, { headers: auth });
  const text = await res.text();
  if (!res.ok) return { status: `http-${res.status}`, issue: text.slice(0, 200) };
  const job = JSON.parse(text) as { status: string; error: Record<string, unknown> | null; result: unknown };
  if (job.status === 'failed') {
    const p = job.error ? checkProblemBody(null, job.error) : 'failed without an error';
    return typeof p === 'string' ? { status: 'failed', issue: p } : { status: 'failed' };
  }
  if (job.status === 'succeeded' && !job.result) return { status: 'succeeded', issue: 'succeeded without a result' };
  return { status: job.status };
}
