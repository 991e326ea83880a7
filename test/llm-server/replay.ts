/**
 * Node-only: replays recognition over the Twitter-GMNER v2.0 test posts against the recorded server
 * and scores it. The recognizer is the production one (prompt, parser, type mapping, span
 * alignment); only the model's answers are recorded ChatGPT output. Shared by
 * scripts/measure-recognition.ts and the data test in test/node.
 */
import type { LabelSet, RecognizeOutput } from '../../shared/pipeline/contracts';
import { createRecognizer, llmConfigFromEnv, type RecognizeMode } from '../../shared/recognize';
import { scoreMner, type SpanDoc } from '../../shared/eval/mner';
import type { Score } from '../../shared/eval/score';
import type { GmnerTweet } from '../../shared/data/gmner';
import { startLlmServer } from './server';
import type { Recording } from './recordings';

export interface ModeRun {
  mode: RecognizeMode;
  labels: LabelSet;
  posts: number;
  failures: Array<{ id: string; error: string }>;
  usage: { calls: number; prompt_tokens: number; completion_tokens: number; total_tokens: number };
  entities: number;
  dropped: Record<string, number>;
  /** Expansion questions the recorded server had no recorded RiVEG answer for. */
  unrecordedExpansions: number;
  outputs: Map<string, RecognizeOutput>;
  wallMs: number;
}

/** Groups dropped reasons ("type 'x' ..." -> "type ... not a named-entity type") for a readable table. */
function reasonClass(reason: string): string {
  if (reason.startsWith('not found')) return 'not found in the text';
  if (reason.startsWith('overlaps')) return 'overlaps a longer entity';
  if (reason.includes('user handle or hashtag')) return 'user handle or hashtag';
  if (reason.includes('is not a named-entity type')) return 'not a named-entity type';
  if (reason.startsWith('unknown')) return 'unknown type';
  return reason;
}

export async function replay(opts: {
  tweets: readonly GmnerTweet[];
  recordings: Recording[];
  mode: RecognizeMode;
  labels: LabelSet;
  concurrency?: number;
}): Promise<ModeRun> {
  const server = await startLlmServer({ recordings: opts.recordings });
  try {
    const { config, problems } = llmConfigFromEnv({
      LLM_BASE_URL: server.url, LLM_API_KEY: 'replay', LLM_MODEL: 'recorded', LLM_MODE: opts.mode, LLM_MAX_RETRIES: '0',
    });
    if (!config) throw new Error(problems.join('; '));
    const recognizer = createRecognizer(config);
    const run: ModeRun = {
      mode: opts.mode, labels: opts.labels, posts: opts.tweets.length, failures: [],
      usage: { calls: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      entities: 0, dropped: {}, unrecordedExpansions: 0, outputs: new Map(), wallMs: 0,
    };
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < opts.tweets.length) {
        const t = opts.tweets[next++];
        try {
          const out = await recognizer.recognize({ text: t.text, labels: opts.labels });
          run.outputs.set(t.id, out);
          for (const k of Object.keys(run.usage) as Array<keyof ModeRun['usage']>) run.usage[k] += out.usage[k];
          run.entities += out.entities.length;
          for (const d of out.dropped) run.dropped[reasonClass(d.reason)] = (run.dropped[reasonClass(d.reason)] ?? 0) + 1;
        } catch (e) {
          run.failures.push({ id: t.id, error: e instanceof Error ? e.message : String(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
    run.wallMs = performance.now() - t0;
    run.unrecordedExpansions = server.stats.unrecordedExpansions;
    return run;
  } finally {
    await server.close();
  }
}

export type TypeOf = (e: { type: string; fine_type?: string | null }) => string;

/** seqeval-style MNER (exact char span + type) through the evaluation module's scorer. */
export function scoreRun(tweets: readonly GmnerTweet[], run: ModeRun, typeOf: TypeOf = (e) => e.type): Score {
  const gold: SpanDoc[] = tweets.map((t) => ({ id: t.id, spans: t.entities.map((e) => ({ start: e.start, end: e.end, type: typeOf(e) })) }));
  const pred: SpanDoc[] = tweets.map((t) => ({
    id: t.id,
    spans: (run.outputs.get(t.id)?.entities ?? []).map((e) => ({ start: e.start, end: e.end, type: typeOf(e) })),
  }));
  return scoreMner(gold, pred);
}
