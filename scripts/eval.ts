/**
 * npm run eval — score predictions against gold after the RiVEG protocol, or drive a running service
 * over the Twitter-GMNER test set and score its answers.
 *
 *   npm run eval -- --task gmner|eeg|mner|fmnerg|smner --gold FILE --pred FILE [--format riveg|api|conll] [--json]
 *   npm run eval -- --api URL --images DIR [--data DIR] [--out FILE] [--concurrency 4] [--json]
 *   either of them with --html FILE (per-post overlays of gold and predicted boxes) and --plot FILE (SVG)
 *
 * Run with --help for every option. Logic lives in shared/eval and shared/data; this file is the
 * command's glue (arguments, files, progress).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { apiPredictions, apiTexts, parseApiJsonl } from '../shared/data/api-answers';
import { detectFormat, type FileFormat } from '../shared/data/detect';
import { buildGmnerTweets, gmnerGold, type GmnerTweet } from '../shared/data/gmner';
import { loadFmnergSplit, loadGmnerSplit, loadSmnerMasks, resolveDataDir, gmnerPaths, xmlDirReader, type Split } from '../shared/data/node-load';
import { attachRefcocoBoxes, parseRivegGold, parseRivegPred } from '../shared/data/riveg';
import { withGoldMasks } from '../shared/data/smner';
import { recognizeWithRetry } from '../shared/eval/api-client';
import { normalizeImageId, type GoldEntity, type GroundedTask, type KeyBy, type PredEntity } from '../shared/eval/entities';
import { evaluate } from '../shared/eval/evaluate';
import type { Matching } from '../shared/eval/match';
import { withOracleRegions, withRegionsNone } from '../shared/eval/oracle';
import { scoreJson, scoreTable, type ScoreRow } from '../shared/eval/report';
import { htmlReport, type ReportImage } from '../shared/eval/report-html';
import { precisionRecallSvg, scoresByType } from '../shared/eval/report-plot';
import { readHeader } from '../shared/image/header';
import { mapLimit } from '../shared/pool';

const HELP = `Usage:
  npm run eval -- --task TASK --gold FILE --pred FILE [options]
  npm run eval -- --api URL --images DIR [--data DIR] [options]

Scoring (RiVEG statistic/statistic.py): a prediction is correct when image id + Name(TYPE) equals a not-yet-used gold
entry (greedy, prediction order) and both regions are None or IoU >= 0.5 with any gold region.

  --task gmner|eeg|mner|fmnerg|smner   default gmner
  --gold FILE         RiVEG gold label file, or a CoNLL split (GMNER v2.0 / FMNERG txt_fine), or API JSONL
  --gold-format F     riveg|conll|api (default: detected)
  --pred FILE         predictions
  --format F          prediction format riveg|api|conll (default: detected); conll predictions have no regions
  --xml DIR           Pascal-VOC boxes for a CoNLL gold (default: ../xml beside it, else the data folder's)
  --masks PATH        SMNER gold masks: a COCO-style json file or a folder of them (shared/data/smner.ts)
  --boxes FILE        OFA refcoco_val_predict.json to attach to a RiVEG prediction file (joined on uniq_id)
  --matching M        greedy (RiVEG, default) | bipartite (maximum matching, E2E-GMNER)
  --key K             auto (default) | surface (Name string, RiVEG) | span (char offsets)
  --iou X             IoU threshold, default 0.5
  --regions R         as-is (default) | none (every region None) | oracle (each groundable prediction gets
                      a gold region of its key: a perfect grounding stage) — bounds
  --json              print one JSON object {task,precision,recall,f1,tp,n_pred,n_gold} (percentages)
  --html FILE         also write an HTML report: scores, per-type chart, each post's text and image with gold
                      and predicted boxes (images from --images DIR, linked relative to FILE)
  --plot FILE         also write an SVG of precision and recall per entity type

Driving a service (POST URL/v1/recognize; Authorization: Bearer $GMNER_API_KEY when set):
  --api URL           base URL of a running service
  --images DIR        folder with <image id>.jpg (or .jpeg/.png/.webp)
  --data DIR          research data folder (default ../shared/research/data, relative to the repo root)
  --split S           test (default) | dev | train
  --out FILE          JSONL answers; ids already there are skipped (resume). Default: a file in the temp folder
  --concurrency N     requests in flight, default 4
  --limit N           only the first N tweets of the split (scored against those N)
  --timeout S         seconds per request, default 120; --retries N, default 2 (network, 408, 429, 5xx)
`;

type Args = Record<string, string | boolean | undefined>;

function fail(msg: string): never {
  process.stderr.write(`eval: ${msg}\n`);
  process.exit(2);
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], name: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) fail(`--${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

const TASKS = ['gmner', 'eeg', 'mner', 'fmnerg', 'smner'] as const;

interface Side<E> {
  entities: E[];
  texts?: Map<string, string>;
}

/** npm runs scripts from the package root; paths the user typed are relative to where they typed them. */
function userPath(p: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function formatOf(text: string, given: string | boolean | undefined, flag: string, path: string): FileFormat {
  if (typeof given === 'string') return oneOf<FileFormat>(given, ['riveg', 'api', 'conll'], flag, 'riveg');
  return detectFormat(text) ?? fail(`cannot tell the format of ${path}; pass --${flag}`);
}

function readText(path: string): string {
  if (!existsSync(path)) fail(`no such file: ${path}`);
  return readFileSync(path, 'utf8');
}

function defaultXmlDir(conllFile: string, a: Args): string {
  if (typeof a.xml === 'string') return userPath(a.xml);
  const beside = resolve(dirname(conllFile), '../xml');
  return existsSync(beside) ? beside : gmnerPaths(resolveDataDir(a.data as string | undefined)).xml;
}

function tweetTexts(tweets: readonly GmnerTweet[]): Map<string, string> {
  return new Map(tweets.map((t) => [t.id, t.text]));
}

function loadGold(path: string, text: string, fmt: FileFormat, task: GroundedTask, a: Args): Side<GoldEntity> {
  let side: Side<GoldEntity>;
  if (fmt === 'riveg') side = { entities: parseRivegGold(text) };
  else if (fmt === 'conll') {
    const tweets = buildGmnerTweets(text, xmlDirReader(defaultXmlDir(path, a)));
    side = { entities: gmnerGold(tweets), texts: tweetTexts(tweets) };
  } else {
    const lines = parseApiJsonl(text);
    const preds = apiPredictions(lines, task === 'smner' ? 'mask' : 'box');
    side = {
      entities: preds.map((p) => ({ ...p, boxes: p.box ? [p.box] : [], masks: p.mask ? [p.mask] : [] })),
      texts: apiTexts(lines),
    };
  }
  if (task === 'smner' && typeof a.masks === 'string') side.entities = withGoldMasks(side.entities, loadSmnerMasks(userPath(a.masks)));
  return side;
}

function loadPred(text: string, fmt: FileFormat, task: GroundedTask, a: Args): Side<PredEntity> {
  if (fmt === 'riveg') {
    let preds = parseRivegPred(text);
    if (typeof a.boxes === 'string') preds = attachRefcocoBoxes(preds, JSON.parse(readText(userPath(a.boxes))));
    return { entities: preds };
  }
  if (fmt === 'conll') {
    const tweets = buildGmnerTweets(text, () => undefined);
    return { entities: gmnerGold(tweets).map((g) => ({ ...g, groundable: false, box: null })), texts: tweetTexts(tweets) };
  }
  const lines = parseApiJsonl(text);
  return {
    entities: apiPredictions(lines, task === 'smner' ? 'mask' : 'box'),
    texts: apiTexts(lines),
  };
}

function checkTask(task: GroundedTask, gold: readonly GoldEntity[], pred: readonly PredEntity[]): void {
  if (task === 'fmnerg' && gold.some((g) => !g.fine_type)) fail('fmnerg needs fine types in the gold (an FMNERG txt_fine file)');
  if (task === 'smner' && !gold.some((g) => g.masks && g.masks.length > 0) && gold.some((g) => g.groundable)) {
    fail('smner needs gold masks (--masks, or an API JSONL gold with masks)');
  }
  if (task === 'fmnerg' && pred.some((p) => !p.fine_type)) process.stderr.write('eval: note: some predictions have no fine type; they cannot be correct under fmnerg\n');
}

function evalOptions(a: Args): { matching: Matching; keyBy: KeyBy | 'auto'; iouThreshold: number } {
  const matching = oneOf<Matching>(a.matching as string | undefined, ['greedy', 'bipartite'], 'matching', 'greedy');
  const keyBy = oneOf<KeyBy | 'auto'>(a.key as string | undefined, ['auto', 'surface', 'span'], 'key', 'auto');
  const iouThreshold = a.iou === undefined ? 0.5 : Number(a.iou);
  if (!(iouThreshold > 0 && iouThreshold <= 1)) fail('--iou must be in (0, 1]');
  return { matching, keyBy, iouThreshold };
}

function scoreRows(tasks: readonly GroundedTask[], gold: Side<GoldEntity>, pred: Side<PredEntity>, a: Args): ScoreRow[] {
  const { matching, keyBy, iouThreshold } = evalOptions(a);
  return tasks.map((task) => {
    const r = evaluate(task, { gold: gold.entities, pred: pred.entities, goldTexts: gold.texts, predTexts: pred.texts }, { matching, keyBy, iouThreshold });
    return { task, ...r.score, note: `${matching}, ${r.keyBy === 'span' ? 'span' : 'surface'} key` };
  });
}

/** Image id -> its file and display size (EXIF orientations 5-8 swap the sides), for the HTML overlays. */
function reportImages(ids: Iterable<string>, dir: string, htmlFile: string): Map<string, ReportImage> {
  const out = new Map<string, ReportImage>();
  for (const id of ids) {
    const file = findImage(dir, id);
    if (!file) continue;
    try {
      const h = readHeader(new Uint8Array(readFileSync(file)));
      const swap = h.orientation >= 5;
      out.set(id, { src: relative(dirname(htmlFile), file).split(sep).join('/'), width: swap ? h.height : h.width, height: swap ? h.width : h.height });
    } catch {
      // an unreadable image: the post is listed without its picture
    }
  }
  return out;
}

/** --html FILE and --plot FILE: what the scores are made of, for a person to look at. */
function writeReports(a: Args, task: GroundedTask, rows: readonly ScoreRow[], gold: Side<GoldEntity>, pred: Side<PredEntity>): void {
  if (typeof a.html !== 'string' && typeof a.plot !== 'string') return;
  const opts = evalOptions(a);
  const byType = scoresByType(task, { gold: gold.entities, pred: pred.entities, goldTexts: gold.texts, predTexts: pred.texts }, opts);
  const title = `${task.toUpperCase()}: ${pred.entities.length} predicted, ${gold.entities.length} gold entities`;
  if (typeof a.plot === 'string') {
    const file = userPath(a.plot);
    writeFileSync(file, precisionRecallSvg(byType, `${task.toUpperCase()} precision and recall per entity type`));
    process.stderr.write(`[eval] plot: ${file}\n`);
  }
  if (typeof a.html === 'string') {
    const file = userPath(a.html);
    const ids = new Set([...gold.entities.map((g) => g.id), ...pred.entities.map((p) => p.id)]);
    const images = typeof a.images === 'string' ? reportImages(ids, userPath(a.images), file) : undefined;
    const texts = new Map([...(pred.texts ?? []), ...(gold.texts ?? [])]);
    writeFileSync(file, htmlReport({ title, scores: rows, byType, gold: gold.entities, pred: pred.entities, texts, images, iouThreshold: opts.iouThreshold }));
    process.stderr.write(`[eval] report: ${file}\n`);
  }
}

function print(rows: readonly ScoreRow[], json: boolean): void {
  process.stdout.write((json ? rows.map(scoreJson).join('\n') : scoreTable(rows)) + '\n');
}

function scoreFiles(a: Args): void {
  const task = oneOf<GroundedTask>(a.task as string | undefined, TASKS, 'task', 'gmner');
  if (typeof a.gold !== 'string' || typeof a.pred !== 'string') fail('--gold and --pred are required (or --api); see --help');
  const goldPath = userPath(a.gold);
  const goldText = readText(goldPath);
  const predText = readText(userPath(a.pred));
  const gf = formatOf(goldText, a['gold-format'], 'gold-format', goldPath);
  const pf = formatOf(predText, a.format, 'format', a.pred);
  if (pf === 'conll' && task !== 'mner') process.stderr.write('eval: note: CoNLL predictions carry no regions; every entity is scored as None\n');
  const gold = loadGold(goldPath, goldText, gf, task, a);
  const pred = loadPred(predText, pf, task, a);
  checkTask(task, gold.entities, pred.entities);
  const regions = oneOf(a.regions as string | undefined, ['as-is', 'none', 'oracle'] as const, 'regions', 'as-is');
  if (regions === 'none') pred.entities = withRegionsNone(pred.entities);
  if (regions === 'oracle') pred.entities = withOracleRegions(pred.entities, gold.entities, task);
  const rows = scoreRows([task], gold, pred, a);
  print(rows, a.json === true);
  writeReports(a, task, rows, gold, pred);
}

// ---- driving a running service -------------------------------------------------------------------

const IMAGE_EXTS = ['.jpg', '.jpeg', '.png', '.webp'];

function findImage(dir: string, id: string): string | undefined {
  return IMAGE_EXTS.map((e) => join(dir, id + e)).find((p) => existsSync(p));
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One progress line on stderr: rewritten in place on a terminal, every 10 s or so otherwise (logs). */
function progress(total: number) {
  const t0 = Date.now();
  let lastPrint = 0;
  const tty = process.stderr.isTTY === true;
  return (s: { ok: number; failed: number; inFlight: number }, final = false) => {
    const now = Date.now();
    if (!final && !tty && now - lastPrint < 10_000) return;
    lastPrint = now;
    const done = s.ok + s.failed;
    const rate = done / Math.max(0.001, (now - t0) / 1000);
    const line = `[eval] ${done}/${total} ok ${s.ok} failed ${s.failed} in flight ${s.inFlight} · ${rate.toFixed(2)}/s · eta ${fmtDuration((total - done) / rate)}`;
    process.stderr.write(tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  };
}

async function driveApi(a: Args): Promise<void> {
  const task = oneOf<GroundedTask>(a.task as string | undefined, TASKS, 'task', 'gmner');
  if (typeof a.images !== 'string') fail('--images DIR is required with --api');
  const imagesDir = userPath(a.images);
  const dataDir = resolveDataDir(a.data as string | undefined);
  const split = oneOf<Split>(a.split as string | undefined, ['train', 'dev', 'test'], 'split', 'test');
  const concurrency = a.concurrency === undefined ? 4 : Number(a.concurrency);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) fail('--concurrency must be a positive integer');
  const limit = a.limit === undefined ? Infinity : Number(a.limit);
  if (!(limit > 0)) fail('--limit must be positive');
  if (!existsSync(gmnerPaths(dataDir).txt(split))) fail(`no ${split} split under ${dataDir} (pass --data)`);
  if (!URL.canParse(a.api as string)) fail(`--api must be a URL, got ${String(a.api)}`);
  if (task === 'smner' && typeof a.masks !== 'string') fail('--task smner needs --masks (gold masks)');

  const all = task === 'fmnerg' ? loadFmnergSplit(split, dataDir) : loadGmnerSplit(split, dataDir);
  const scope = all.slice(0, Math.min(all.length, limit));
  const out = userPath(typeof a.out === 'string' ? a.out : join(tmpdir(), `gmner-eval-${split}-${Date.now()}.jsonl`));
  mkdirSync(dirname(out), { recursive: true });
  if (!existsSync(out)) writeFileSync(out, '');
  let previous = readFileSync(out, 'utf8');
  if (previous.length > 0 && !previous.endsWith('\n')) {
    // a run killed mid-write leaves a torn last line: drop it, that tweet is simply asked again
    previous = previous.slice(0, previous.lastIndexOf('\n') + 1);
    writeFileSync(out, previous);
  }
  const done = new Set(parseApiJsonl(previous, true).map((l) => normalizeImageId(l.id)));
  const todo = scope.filter((t) => !done.has(t.id));
  process.stderr.write(`[eval] ${scope.length} tweets, ${scope.length - todo.length} already answered in ${out}\n`);

  const apiKey = process.env.GMNER_API_KEY || undefined;
  const stats = { ok: 0, failed: 0, inFlight: 0 };
  const failures: string[] = [];
  const tick = progress(todo.length);
  await mapLimit(todo, concurrency, async (t) => {
    stats.inFlight++;
    try {
      const img = findImage(imagesDir, t.id);
      if (!img) throw new Error(`no image ${t.id}.{jpg,jpeg,png,webp} in ${imagesDir}`);
      const answer = await recognizeWithRetry(
        {
          baseUrl: a.api as string,
          text: t.text,
          image: new Uint8Array(readFileSync(img)),
          apiKey,
          labels: task === 'fmnerg' ? 'fmnerg' : 'gmner',
          masks: task === 'smner',
          timeoutMs: 1000 * (a.timeout === undefined ? 120 : Number(a.timeout)),
        },
        { retries: a.retries === undefined ? 2 : Number(a.retries) },
      );
      // one write per line, so an interrupted run loses at most the line being written
      appendFileSync(out, JSON.stringify({ id: t.id, text: t.text, entities: answer.entities }) + '\n');
      stats.ok++;
    } catch (e) {
      stats.failed++;
      failures.push(`${t.id}: ${(e as Error).message}`);
    } finally {
      stats.inFlight--;
      tick(stats);
    }
  });
  tick(stats, true);
  for (const f of failures.slice(0, 20)) process.stderr.write(`[eval] failed ${f}\n`);
  if (failures.length > 20) process.stderr.write(`[eval] … and ${failures.length - 20} more failures\n`);

  const ids = new Set(scope.map((t) => t.id));
  const lines = parseApiJsonl(readFileSync(out, 'utf8'), true).filter((l) => ids.has(normalizeImageId(l.id)));
  const answered = new Set(lines.map((l) => normalizeImageId(l.id))).size;
  if (answered < scope.length) {
    process.stderr.write(`[eval] answers for ${answered}/${scope.length} tweets; the missing ones count as predicting nothing\n`);
  }
  let goldEntities = gmnerGold(scope);
  if (task === 'smner') goldEntities = withGoldMasks(goldEntities, loadSmnerMasks(userPath(a.masks as string)));
  const gold: Side<GoldEntity> = { entities: goldEntities, texts: tweetTexts(scope) };
  const pred: Side<PredEntity> = {
    entities: apiPredictions(lines, task === 'smner' ? 'mask' : 'box'),
    texts: apiTexts(lines),
  };
  const tasks: GroundedTask[] = a.json === true ? [task] : [...new Set<GroundedTask>([task, 'gmner', 'eeg', 'mner'])];
  const rows = scoreRows(tasks, gold, pred, a);
  print(rows, a.json === true);
  writeReports(a, task, rows, gold, pred);
  process.stderr.write(`[eval] answers: ${out}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  let a: Args;
  try {
    ({ values: a } = parseArgs({
      args: process.argv.slice(2),
      options: {
        task: { type: 'string' }, gold: { type: 'string' }, pred: { type: 'string' }, format: { type: 'string' },
        'gold-format': { type: 'string' }, xml: { type: 'string' }, masks: { type: 'string' }, boxes: { type: 'string' },
        matching: { type: 'string' }, key: { type: 'string' }, iou: { type: 'string' }, json: { type: 'boolean' },
        api: { type: 'string' }, images: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' },
        out: { type: 'string' }, concurrency: { type: 'string' }, limit: { type: 'string' }, timeout: { type: 'string' },
        retries: { type: 'string' }, regions: { type: 'string' }, html: { type: 'string' }, plot: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${HELP}`);
  }
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  if (typeof a.api === 'string') await driveApi(a);
  else scoreFiles(a);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
