/// <reference types="node" />
/**
 * The `models` command (npm run models -- <command> ...), run with Node:
 *   pull [ids] [--trust-on-first-use] [--origin-base URL]   origin -> verify -> --dir
 *   verify [ids]                                             hashes of the files in --dir
 *   publish [ids] [--endpoint URL --bucket B --region R]     --dir -> R2 / S3 (+ manifest.json)
 *   inspect <id | file.onnx> [--runs N] [--dim name=value]   I/O, create time, latency, peak wasm heap
 *   fixtures [DIR]                                           write the generated fixtures to DIR
 *   inflate [--from DIR] [--out DIR]                         stripped look-alikes -> full size (models/commands/graph.ts)
 *   split <file> --outputs a,b [--inputs c,d] [--rename a=x] [--out F]   subgraph between named tensors
 *   shard <file|id> --budget-mb N [--out DIR] [--opt-level L] [--input name=1x3x8x8]   shards + plan
 *   lookalikes [ids] [--shared DIR] [--out DIR] [--budget-mb N] [--pin] [--force] [--publish-local]   the lookalikes set
 * Common: --set default|fixtures (default MODEL_SET or default), --dir DIR (default models/.generated/store).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DIR, type Common } from './commands/common';
import { writeFixtures } from './commands/fixtures';
import { DEFAULT_INFLATE, inflateDir, shard, split } from './commands/graph';
import { DEFAULT_CACHE, DEFAULT_SHARED, lookalikes } from './commands/lookalikes';
import { formatInspect, inspect } from './commands/inspect';
import { publish } from './commands/publish';
import { pull } from './commands/pull';
import { verify } from './commands/verify';
import type { ModelSetName } from './runtime-from-env';

export async function main(argv: string[], env: Record<string, string | undefined> = process.env, log: (line: string) => void = console.log): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: { type: 'string' }, dir: { type: 'string' }, 'trust-on-first-use': { type: 'boolean' }, 'origin-base': { type: 'string' },
      endpoint: { type: 'string' }, bucket: { type: 'string' }, region: { type: 'string' },
      runs: { type: 'string' }, dim: { type: 'string', multiple: true }, json: { type: 'boolean' },
      from: { type: 'string' }, out: { type: 'string' }, outputs: { type: 'string' }, inputs: { type: 'string' }, rename: { type: 'string', multiple: true },
      'budget-mb': { type: 'string' }, 'opt-level': { type: 'string' }, input: { type: 'string', multiple: true }, shared: { type: 'string' },
      pin: { type: 'boolean' }, force: { type: 'boolean' }, 'publish-local': { type: 'boolean' }, 'persist-to': { type: 'string' },
    },
  });
  const [command, ...ids] = positionals;
  const c: Common = { set: (v.set ?? env.MODEL_SET ?? 'default') as ModelSetName, dir: v.dir ?? DEFAULT_DIR, ids };
  switch (command) {
    case 'pull':
      await pull(c, { trustOnFirstUse: !!v['trust-on-first-use'], originBase: v['origin-base'] ?? env.MODEL_ORIGIN_BASE }, log);
      return 0;
    case 'verify':
      return (await verify(c, log)).every((r) => r.status === 'ok') ? 0 : 1;
    case 'publish': {
      const endpoint = v.endpoint ?? env.S3_ENDPOINT, bucket = v.bucket ?? env.S3_BUCKET;
      const accessKeyId = env.S3_ACCESS_KEY_ID, secretAccessKey = env.S3_SECRET_ACCESS_KEY;
      if (!endpoint || !bucket || !accessKeyId || !secretAccessKey) throw new Error('publish needs --endpoint/S3_ENDPOINT, --bucket/S3_BUCKET, and S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY in the environment');
      await publish(c, { endpoint, bucket, region: v.region ?? env.S3_REGION, accessKeyId, secretAccessKey }, log);
      return 0;
    }
    case 'inspect': {
      if (ids.length !== 1) throw new Error('inspect takes one model id or .onnx file');
      const dims = Object.fromEntries((v.dim ?? []).map((d) => { const [k, n] = d.split('='); return [k, Number(n)]; }));
      const report = await inspect(c, ids[0], { runs: Number(v.runs ?? 5), dims });
      log(v.json ? JSON.stringify(report, null, 2) : formatInspect(report));
      return 0;
    }
    case 'fixtures':
      await writeFixtures(ids[0] ?? 'models/.generated/fixtures', log);
      return 0;
    case 'inflate':
      await inflateDir(v.from ?? (v.shared ? `${v.shared}/stripped` : DEFAULT_INFLATE.from), v.out ?? DEFAULT_INFLATE.out, log);
      return 0;
    case 'split':
      if (ids.length !== 1) throw new Error('split takes one .onnx file');
      await split(ids[0], { outputs: v.outputs, inputs: v.inputs, rename: v.rename, out: v.out }, log);
      return 0;
    case 'shard': {
      if (ids.length !== 1 || !v['budget-mb']) throw new Error('shard takes one .onnx file or look-alike id and --budget-mb N');
      await shard(ids[0], { budgetMiB: Number(v['budget-mb']), out: v.out, optLevel: v['opt-level'] as never, inputDims: v.input, cache: v.dir }, log);
      return 0;
    }
    case 'lookalikes':
      return lookalikes({ ids, shared: v.shared ?? DEFAULT_SHARED, out: v.out ?? DEFAULT_CACHE, budgetMiB: Number(v['budget-mb'] ?? 100), pin: !!v.pin, force: !!v.force, publishLocal: !!v['publish-local'], persistTo: v['persist-to'] }, log);
    default:
      log('usage: npm run models -- pull|verify|publish|inspect|fixtures|inflate|split|shard|lookalikes [ids] [options] (see models/cli.ts)');
      return command ? 2 : 0;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { console.error(`models: ${(e as Error).message ?? e}`); process.exitCode = 1; },
  );
}
