/**
 * POST /v1/recognize with `Accept: text/event-stream`: the answer as it is made, as Server-Sent Events.
 *
 *   event: entities  {entities, dropped}        once, when the LLM has answered (vision fields still null)
 *   event: entity    {stage, index, entity}     each time a stage fills an entity: entail (groundable,
 *                                               entailment_score), then ground (box), then segment (mask)
 *   event: answer    the whole /v1/recognize answer, exactly as the JSON route gives it; then the stream ends
 *   event: error     a problem (RFC 9457) if the pipeline fails after the first event; then the stream ends
 *
 * Framing is Hono's streamSSE: `event:`, one `data:` line of JSON, then `id:` (increasing). A failure before the first event (bad image, no LLM, LLM down) is an
 * ordinary problem+json answer with its status, as without streaming. A client that goes away cancels the
 * pipeline. Comment lines (`: keep-alive`) every 15 s keep idle proxies from closing a slow stream.
 *
 * Billing (README, Accounts): 1 unit once `entities` has been sent, whether or not the client stays for
 * the rest; not billed when the stream ends with an `error` event of status >= 500 (our fault).
 */
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { RecognizeAnswer } from '../../../shared/api/schemas';
import type { PipelineEvent } from '../../../shared/pipeline/orchestrator';
import { isProblem, problemBody } from '../../../shared/problems';
import { modelTime } from '../accounts/metering';
import type { AppEnv } from '../env';
import { logProblemCause } from '../problem';
import { runRecognition, type RecognizeCall } from './run';

const KEEP_ALIVE_MS = 15_000;

/** Whether the client asked for an event stream (and did not rank JSON above it). */
export function wantsEventStream(accept: string | undefined): boolean {
  if (!accept) return false;
  let sse = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type.trim() === 'text/event-stream') sse = Math.max(sse, Number.isFinite(q) ? q : 0);
    if (type.trim() === 'application/json') json = Math.max(json, Number.isFinite(q) ? q : 0);
  }
  return sse > 0 && sse >= json;
}

type Frame = { event: string; data: unknown };

/** Our event-stream headers (Hono's streamSSE sets its own): no proxy may buffer or transform a slow stream. */
const HEADERS: Record<string, string> = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };

export async function streamRecognize(c: Context<AppEnv>, call: RecognizeCall): Promise<Response> {
  const requestId = c.get('requestId');
  const abort = new AbortController();
  const clientSignal = c.req.raw.signal;
  /** The client left (request aborted or stream cancelled): what was sent so far is what is billed. */
  let gone = false;
  const onClientAbort = () => {
    gone = true;
    abort.abort(clientSignal.reason);
  };
  clientSignal?.addEventListener('abort', onClientAbort);

  // Frames wait in `pending` until the stream exists, then go out in order through one chain of writes
  // (each write waits for the reader; the pipeline never does).
  const pending: Frame[] = [];
  let sse: SSEStreamingApi | null = null;
  let writes = Promise.resolve();
  let closed = false;
  let seq = 0;
  const send = (out: (s: SSEStreamingApi) => Promise<unknown>) => {
    const s = sse!;
    writes = writes.then(() => out(s)).then(() => undefined);
  };
  const write = (f: Frame) => {
    if (closed) return;
    if (!sse) return void pending.push(f);
    const id = String(++seq);
    send((s) => s.writeSSE({ id, event: f.event, data: JSON.stringify(f.data) }));
  };

  // The first event decides between a stream and an ordinary error answer.
  let firstEvent!: () => void;
  const started = new Promise<void>((resolve) => (firstEvent = resolve));
  const onEvent = (e: PipelineEvent) => {
    firstEvent();
    if (e.type === 'entities') {
      if (closed) return;
      write({ event: 'entities', data: { entities: e.entities, dropped: e.dropped } });
      // Billed from here on: this event carries the LLM's whole work, so a client that leaves after it
      // pays for it. (Until the answer's usage arrives the LLM tokens are unknown: recorded as 0.)
      c.set('metering', { units: 1 });
      return;
    }
    else write({ event: 'entity', data: { stage: e.stage, index: e.index, entity: e.entity } });
  };

  const run = runRecognition(c.env, call, requestId, abort.signal, onEvent);
  const outcome = run.then((answer) => ({ answer }), (error: unknown) => ({ error }));
  const first = await Promise.race([started.then(() => null), outcome]);
  if (first && 'error' in first) throw first.error; // nothing streamed yet: the usual problem answer

  const res = streamSSE(c, async (stream) => {
    sse = stream;
    stream.onAbort(() => {
      gone = true;
      closed = true;
      abort.abort(new Error('client went away'));
    });
    for (const f of pending.splice(0)) write(f);
    const keepAlive = setInterval(() => closed || send((s) => s.write(': keep-alive\n\n')), KEEP_ALIVE_MS);
    const o = await outcome;
    clearInterval(keepAlive);
    clientSignal?.removeEventListener('abort', onClientAbort);
    // The client went away: billed as delivered so far (the metering set at `entities`); nothing more is sent.
    if (!gone) finish(o);
    closed = true;
    await writes;
  });
  // streamSSE wrote its headers to the context too, whose headers win over the response's once it is returned: set
  // ours in both places. The platform frames the response itself; connection and transfer-encoding never were ours.
  for (const [name, value] of Object.entries(HEADERS)) {
    res.headers.set(name, value);
    c.header(name, value);
  }
  for (const name of ['connection', 'transfer-encoding']) {
    res.headers.delete(name);
    c.header(name, undefined);
  }
  return res;

  function finish(o: { answer: RecognizeAnswer } | { error: unknown }): void {
    if ('answer' in o) {
      const answer = o.answer;
      c.set('timings', answer.timings_ms);
      // Billed like the JSON answer (the accounting middleware settles a stream when it ends).
      c.set('metering', { units: 1, llm_tokens: answer.usage.total_tokens, model_ms: modelTime(answer.timings_ms) });
      write({ event: 'answer', data: answer });
      return;
    }
    const e = o.error;
    const body = isProblem(e) ? e.toBody(requestId) : problemBody('internal', 'An unexpected error occurred; the request id identifies it in our logs.', requestId);
    if (!isProblem(e)) console.error(JSON.stringify({ level: 'error', request_id: requestId, error: String((e as Error)?.stack ?? e) }));
    else logProblemCause(requestId, e);
    c.set('metering', body.status >= 500 ? null : { units: 1 });
    write({ event: 'error', data: body });
  }
}
