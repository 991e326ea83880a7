/**
 * Measures recognition on the Twitter-GMNER v2.0 test set (1,500 posts) with recognition replayed
 * from the recorded ChatGPT knowledge (RiVEG/MNER/Twitter10000_noaugment.zip) through the project's
 * own prompt, parser, type mapping and span alignment, scored by shared/eval's scoreMner (seqeval:
 * exact span + type, micro average); and the LLM calls and tokens per post in `batched` vs
 * `per_entity` mode against the recorded server (tokens are the server's estimate, tokens.ts).
 *
 *   npx tsx scripts/measure-recognition.ts [--data <dir>] [--limit N] [--json <file>]
 *
 * Needs ../shared/research/data (or --data). Nothing here is a test double on the production path:
 * the recognizer talks HTTP to the recorded OpenAI-compatible server like to any provider.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadFmnergSplit, loadGmnerSplit, resolveDataDir } from '../shared/data/node-load';
import type { Score } from '../shared/eval/score';
import { replay, scoreRun, type ModeRun } from '../test/llm-server/replay';
import { loadTestRecordings } from '../test/llm-server/shared-data';

const { values } = parseArgs({
  options: { data: { type: 'string' }, limit: { type: 'string' }, json: { type: 'string' }, fmnerg: { type: 'boolean', default: true } },
});
const dataDir = resolveDataDir(values.data);
const data = loadTestRecordings(dataDir);
if (!data) {
  console.error(`No recorded data under ${dataDir} (need RiVEG/MNER/Twitter10000_noaugment.zip, GMNER v2.0 test, OFAVE_to_OFAREC_augment.txt).`);
  process.exit(2);
}
const limit = values.limit ? Number(values.limit) : Infinity;
const tweets = loadGmnerSplit('test', dataDir).slice(0, limit);

const fmt = (s: Score) => `${s.precision.toFixed(2)} / ${s.recall.toFixed(2)} / ${s.f1.toFixed(2)}  (tp ${s.tp}, pred ${s.n_pred}, gold ${s.n_gold})`;
const per = (n: number, posts: number) => (n / posts).toFixed(2);

const runs: Record<string, ModeRun> = {};
for (const mode of ['batched', 'per_entity'] as const) {
  runs[mode] = await replay({ tweets, recordings: data.recordings, mode, labels: 'gmner' });
}
const b = runs.batched;
const scores = {
  mner: scoreRun(tweets, b),
  span_only: scoreRun(tweets, b, () => '*'),
  mner_per_entity: scoreRun(tweets, runs.per_entity),
};

console.log(`Twitter-GMNER v2.0 test, ${tweets.length} posts, recognition replayed from recorded ChatGPT knowledge`);
console.log(`MNER (span+type) P / R / F1: ${fmt(scores.mner)}`);
console.log(`span only        P / R / F1: ${fmt(scores.span_only)}`);
console.log(`per_entity mode, same recognition: ${fmt(scores.mner_per_entity)}`);
console.log(`dropped by the recognizer (batched): ${JSON.stringify(b.dropped)}`);
console.log('');
console.log('mode        calls/post  prompt tok/post  completion tok/post  total tok/post  failures  wall s');
for (const r of Object.values(runs)) {
  console.log(
    `${r.mode.padEnd(11)} ${per(r.usage.calls, r.posts).padStart(10)} ${per(r.usage.prompt_tokens, r.posts).padStart(16)} ${per(r.usage.completion_tokens, r.posts).padStart(20)} ${per(r.usage.total_tokens, r.posts).padStart(15)} ${String(r.failures.length).padStart(9)} ${(r.wallMs / 1000).toFixed(1).padStart(7)}`,
  );
}
console.log(`per_entity expansion questions without a recorded RiVEG answer (answered by a stand-in): ${runs.per_entity.unrecordedExpansions} of ${runs.per_entity.usage.calls - runs.per_entity.posts}`);

let fmnerg: Record<string, Score> | undefined;
if (values.fmnerg) {
  const fineTweets = loadFmnergSplit('test', dataDir).slice(0, limit);
  const f = await replay({ tweets: fineTweets, recordings: data.recordings, mode: 'batched', labels: 'fmnerg' });
  fmnerg = { coarse: scoreRun(fineTweets, f), fine: scoreRun(fineTweets, f, (e) => e.fine_type ?? '-') };
  console.log('');
  console.log(`FMNERG labels (same recorded answers): coarse ${fmt(fmnerg.coarse)}`);
  console.log(`                                       fine   ${fmt(fmnerg.fine)}`);
}

for (const r of Object.values(runs)) if (r.failures.length) console.log(`${r.mode} failures:`, r.failures.slice(0, 5));

if (values.json) {
  const slim = (r: ModeRun) => ({ ...r, outputs: undefined });
  writeFileSync(values.json, JSON.stringify({ posts: tweets.length, scores, fmnerg, runs: { batched: slim(b), per_entity: slim(runs.per_entity) } }, null, 2));
}
