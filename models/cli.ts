/// <reference types="node" />
/**
 * The `models` command (npm run models -- <command> ...), run with Node:
 *   pull [ids] [--trust-on-first-use] [--origin-base URL]   origin -> verify -> --dir
 *   verify [ids]                                             hashes of the files in --dir
 *   publish [ids] [--endpoint URL --bucket B --region R]     --dir -> R2 / S3 (+ manifest.json)
 *   inspect <id | file.onnx> [--runs N] [--dim name=value]   I/O, create time, latency, peak wasm heap
 *   fixtures [DIR]                                           write the generated fixtures to DIR
 * Common: --set default|fixtures (default MODEL_SET or default), --dir DIR (default models/.generated/store).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DIR, type Common } from './commands/common';
import { writeFixtures } from './commands/fixtures';
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
    default:
      log('usage: npm run models -- pull|verify|publish|inspect|fixtures [ids] [options] (see models/cli.ts)');
      return command ? 2 : 0;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { console.error(`models: ${(e as Error).message ?? e}`); process.exitCode = 1; },
  );
}
