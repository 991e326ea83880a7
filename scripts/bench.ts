/// <reference types="node" />
/**
 * Benchmarks (not tests): npm run bench -- <subcommand> ...
 *   models DIR... [--runs N] [--json]   per .onnx file: session-create time, median run latency, peak wasm heap
 *   pipeline [--runs 5] [--llm-ms 1500] [--entities 1,3,8] [--masks both|on|off] [--lookalikes DIR] [--groundable 1]
 *            [--phase all|pipeline|functions] [--prepare-delay-ms 0] [--json]
 *                                      the pipeline in workerd over the look-alikes vs RiVEG's order; each function alone
 *                                      (tables on stdout; every run also leaves its raw numbers in .tmp/bench-pipeline/last.json)
 *   pipeline --placement in-process,split-one,split-per-worker [--set fixtures|lookalikes] [--runs N] [--llm-ms MS]
 *            [--entities 3,8] [--masks both|on|off]
 *                                      the product's api in each placement, one invocation: one table against issue 10's
 *                                      targets, and the hops per shard boundary (scripts/bench/pipeline-placement.ts)
 *   load [--clients 16] [--seconds 60] [--masks on|off|both] [--quota 10] [--drain-seconds 180] [--port P] [--json FILE]
 *                                      concurrent clients against wrangler dev; PASS/FAIL checks (precise answers, no lost jobs,
 *                                      exact billing); exits 1 on a FAIL (scripts/bench/load.ts)
 * Each subcommand lives in scripts/bench/<name>.ts and registers one line in SUBCOMMANDS.
 */
import { parseArgs } from 'node:util';
import { benchModels, machine, table } from './bench/models';

type Subcommand = (args: string[]) => Promise<number>;

const SUBCOMMANDS: Record<string, Subcommand> = {
  async models(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { runs: { type: 'string' }, json: { type: 'boolean' } } });
    if (!positionals.length) throw new Error('usage: npm run bench -- models DIR... [--runs N] [--json]');
    const runs = Number(values.runs ?? 5);
    const rows = await benchModels(positionals, runs, (l) => console.error(l));
    console.log(values.json ? JSON.stringify({ machine: machine(), runs, rows }, null, 2) : `Machine: ${machine()}\n\n${table(rows, runs)}`);
    return rows.some((r) => r.error) ? 1 : 0;
  },
  pipeline: async (args) => (await import('./bench/pipeline')).pipelineCommand(args),
  jobs: async (args) => (await import('./bench/jobs')).jobsCommand(args),
  load: async (args) => (await import('./bench/load')).loadCommand(args),
};

const [name, ...rest] = process.argv.slice(2);
const sub = name ? SUBCOMMANDS[name] : undefined;
if (!sub) {
  console.error(`usage: npm run bench -- <${Object.keys(SUBCOMMANDS).join('|')}> ...`);
  process.exitCode = 2;
} else {
  sub(rest).then((code) => { process.exitCode = code; }, (e) => { console.error(`bench ${name}: ${(e as Error).message ?? e}`); process.exitCode = 1; });
}
