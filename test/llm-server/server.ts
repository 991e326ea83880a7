/**
 * A recorded OpenAI-compatible Chat Completions server for tests and measurements (Node, loopback).
 * It answers from recordings: the recognition prompt with the recorded entity list for the post,
 * RiVEG's expansion question with the recorded answer. The full replay serves real recorded ChatGPT
 * output read from ../shared at run time; the unit set is invented (recordings/README.md). The request's
 * `model` picks a behaviour (behaviours.ts), including the failures a real provider produces.
 *
 *   POST /v1/chat/completions   the API
 *   POST /__script              {id, answers: [string | {status, message, headers}]}, for model `scripted?id=<id>`
 *   GET  /__requests?model=...  the requests received for a model name (newest last)
 *   GET  /__health              identity and recording counts
 *
 * Usage is estimated (tokens.ts): there is no tokenizer offline, and only ratios between modes matter.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MALFORMED, parseModel, recordedAnswer, recordedExpansion, shapeContent } from './behaviours';
import { readPrompt } from './prompt-reading';
import { RecordingStore, normalizePostText, type Recording } from './recordings';
import { estimateTokens, promptTokens } from './tokens';

export const SERVER_IDENTITY = 'gmner-recorded-llm';

export interface LlmServerOptions {
  port?: number;
  host?: string;
  /** Recordings available from the start (the unit set). */
  recordings?: Recording[];
  /** Loaded on the first post the start set does not hold (the full set from ../shared), or null. */
  loadMore?: () => Recording[] | null;
}

export interface LlmServerHandle {
  url: string;
  port: number;
  close(): Promise<void>;
  stats: { requests: number; unrecordedExpansions: number };
}

type ScriptAnswer = string | { status: number; message?: string; headers?: Record<string, string> };

interface Logged {
  model: string;
  headers: Record<string, string>;
  body: unknown;
  /** Date.now() when the whole request had arrived (the overlap test compares it with the caller's clock). */
  at: number;
}

export async function startLlmServer(opts: LlmServerOptions = {}): Promise<LlmServerHandle> {
  const store = new RecordingStore(opts.recordings ?? []);
  let moreLoaded = !opts.loadMore;
  const lookup = (post: string): Recording | undefined => {
    let r = store.find(post);
    if (!r && !moreLoaded) {
      moreLoaded = true;
      store.addAll(opts.loadMore!() ?? []);
      r = store.find(post);
    }
    return r;
  };
  const counters = new Map<string, number>();
  const scripts = new Map<string, ScriptAnswer[]>();
  const log: Logged[] = [];
  const stats = { requests: 0, unrecordedExpansions: 0 };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, { error: { message: String(e?.stack ?? e), type: 'server_error' } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/__health') {
      return send(res, 200, { server: SERVER_IDENTITY, recordings: store.size });
    }
    if (req.method === 'GET' && url.pathname === '/__requests') {
      const model = url.searchParams.get('model');
      return send(res, 200, log.filter((l) => model === null || l.model === model));
    }
    if (req.method === 'POST' && url.pathname === '/__script') {
      const body = JSON.parse(await readBody(req)) as { id: string; answers: ScriptAnswer[] };
      scripts.set(body.id, [...body.answers]);
      return send(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(url.pathname)) {
      return send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
    }

    const body = JSON.parse(await readBody(req)) as { model?: string; messages?: Array<{ role?: unknown; content?: unknown }>; response_format?: unknown; max_tokens?: unknown };
    stats.requests++;
    const model = String(body.model ?? '');
    const messages = Array.isArray(body.messages) ? body.messages : [];
    log.push({ model, headers: pickHeaders(req), body, at: Date.now() });
    if (log.length > 2000) log.shift();

    const { behaviour, params } = parseModel(model);
    const prompt = readPrompt(messages);
    const postKey = prompt.kind === 'unknown' ? '' : normalizePostText(prompt.post);
    const counterKey = `${model}\u0000${postKey}\u0000${prompt.kind === 'expand' ? prompt.entity : ''}`;
    const n = (counters.get(counterKey) ?? 0) + 1; // 1-based call number for this model + post
    counters.set(counterKey, n);
    const times = Number(params.get('times') ?? Infinity);
    const failing = n <= times;

    if (behaviour === 'scripted') {
      const list = scripts.get(params.get('id') ?? '') ?? [];
      const next = list.length > 1 ? list.shift()! : list[0];
      if (next === undefined) return apiError(res, 400, 'no script registered for this id');
      if (typeof next === 'string') return complete(res, model, messages, next);
      return apiError(res, next.status, next.message ?? `scripted ${next.status}`, next.headers);
    }
    if (behaviour === 'unauthorized') return apiError(res, 401, 'Incorrect API key provided.');
    if (behaviour === 'html') return sendRaw(res, 200, 'text/html', '<!doctype html><title>Welcome</title><p>It works!</p>');
    if (behaviour === 'no-max-tokens' && body.max_tokens !== undefined) {
      return apiError(res, 400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.");
    }
    if (behaviour === 'no-json-schema' && body.response_format !== undefined) {
      return apiError(res, 400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.");
    }
    if (behaviour === 'rate-limited' && failing) {
      const headers: Record<string, string> = {};
      if (params.has('retry_after_ms')) headers['retry-after-ms'] = params.get('retry_after_ms')!;
      else headers['retry-after'] = params.get('retry_after') ?? '1';
      return apiError(res, 429, 'Rate limit reached for requests.', headers);
    }
    if ((behaviour === 'fail500' || behaviour === 'fail503') && failing) {
      return apiError(res, behaviour === 'fail500' ? 500 : 503, behaviour === 'fail500' ? 'The server had an error while processing your request.' : 'The engine is currently overloaded.');
    }
    if (behaviour === 'slow') {
      const delay = Number((prompt.kind === 'expand' && params.get('expand_delay_ms')) || params.get('delay_ms') || 3000);
      const gone = await waitOrDisconnect(req, res, delay);
      if (gone) return;
    }
    if (behaviour === 'malformed' && failing) return complete(res, model, messages, MALFORMED);
    if (behaviour === 'cut') return complete(res, model, messages, MALFORMED, {}, 'length');
    if (behaviour === 'braces') return complete(res, model, messages, '{'.repeat(Number(params.get('count') ?? 32_000)));

    if (prompt.kind === 'unknown') return apiError(res, 400, 'the recorded server found no post in the prompt');
    const rec = lookup(prompt.post);
    if (behaviour === 'empty' && prompt.kind === 'recognize') return complete(res, model, messages, JSON.stringify({ entities: [] }));
    if (!rec) return apiError(res, 404, `no recording for the post ${JSON.stringify(prompt.post.slice(0, 80))}`);

    if (prompt.kind === 'expand') {
      const x = recordedExpansion(store, rec, prompt.entity);
      if (!x.recorded) stats.unrecordedExpansions++;
      return complete(res, model, messages, shapeContent(behaviour, prompt, x.content, null, prompt.post), { 'x-recorded': String(x.recorded) });
    }
    const answer = recordedAnswer(store, rec, prompt.wantsExpansion);
    return complete(res, model, messages, shapeContent(behaviour, prompt, JSON.stringify(answer), answer, prompt.post), { 'x-recorded': 'true' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves true when the client hung up first (a timeout or abort on its side). */
function waitOrDisconnect(req: IncomingMessage, res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { res.off('close', onClose); resolve(false); }, ms);
    const onClose = () => { clearTimeout(t); resolve(true); };
    res.once('close', onClose);
  });
}

function pickHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === 'authorization' || k.startsWith('cf-aig-') || k.startsWith('x-')) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}

function apiError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { message, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', code: null } }, headers);
}

function complete(res: ServerResponse, model: string, messages: Array<{ role?: unknown; content?: unknown }>, content: string, headers: Record<string, string> = {}, finishReason = 'stop'): void {
  const prompt_tokens = promptTokens(messages);
  const completion_tokens = estimateTokens(content);
  send(
    res,
    200,
    {
      id: `chatcmpl-recorded-${Math.random().toString(36).slice(2, 10)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
      usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
    },
    headers,
  );
}
