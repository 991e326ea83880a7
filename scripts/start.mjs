// `npm start`: the API on http://localhost:8787 through `wrangler dev`, offline, with local
// R2/KV/D1/Queues state in .wrangler/state. Configuration comes from .dev.vars (wrangler reads it) and,
// for the variables the README lists, from this process's environment, which wins.
//
// Placement (PLACEMENT=single|split; default: split for MODEL_SET=default or lookalikes, single otherwise):
//   single  one Worker (wrangler.toml): the api runs any vision stage in its own isolate (fixtures, none).
//   split   every Worker of infra/workers.ts: the api without ORT, one stage Worker per stage, one Worker per
//           model part or shard, chained over service bindings; all in one `wrangler dev` (configs generated
//           into .wrangler/workers/<set>/). For lookalikes the model files are first put into the local R2 by
//           `npm run models -- lookalikes --publish-local`.
import { spawn, spawnSync } from 'node:child_process';
import { CONFIG_VARIABLES } from './config-variables.mjs';

const port = process.env.PORT ?? '8787';
const set = process.env.MODEL_SET ?? '';
const placement = process.env.PLACEMENT || (set === 'default' || set === 'lookalikes' ? 'split' : 'single');
// No account, no telemetry, no Request.cf download: a fresh machine without a network works.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false' };

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const args = ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', port, '--show-interactive-dev-session=false'];
if (process.env.INSPECTOR_PORT) args.push('--inspector-port', process.env.INSPECTOR_PORT);

if (placement === 'split') {
  if (!set) fail('PLACEMENT=split needs MODEL_SET (default, lookalikes or fixtures): it decides which Workers exist.');
  if (set === 'lookalikes') {
    console.log('npm start: putting the look-alike models into the local R2 (npm run models -- lookalikes --publish-local)');
    const r = spawnSync('npm', ['run', '-s', 'models', '--', 'lookalikes', '--publish-local'], { stdio: 'inherit', env });
    if (r.status !== 0) {
      fail('`npm run models -- lookalikes --publish-local` failed (above), so the look-alike models are not in the local R2. ' +
        'That command comes with the look-alike model set (issue 10, items 1-2); until it is available, use MODEL_SET=fixtures ' +
        '(add PLACEMENT=split for the same Workers on fixture models) or MODEL_SET=default.');
    }
  }
  const out = `.wrangler/workers/${set}`;
  const r = spawnSync('npx', ['tsx', 'infra/cli.ts', 'configs', '--set', set, '--dev', '--json', '--out', out], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) fail(`could not make the Worker configs for MODEL_SET=${set} (infra/workers.ts).`);
  const files = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`npm start: ${files.length} Workers (MODEL_SET=${set}); configs in ${out}/ (api first: only it is served on :${port})`);
  for (const f of files) args.push('-c', f);
  // one local state for every Worker: the same R2 bucket, D1 and queues as a single-Worker start
  args.push('--persist-to', '.wrangler/state');
} else if (placement !== 'single') {
  fail(`PLACEMENT must be single or split, not "${placement}".`);
}

for (const name of CONFIG_VARIABLES) {
  const value = process.env[name];
  if (value !== undefined && value !== '') args.push('--var', `${name}:${value}`);
}

// npx -> wrangler -> workerd (and esbuild): a signal to npx alone leaves wrangler and workerd running. The child
// leads its own process group, so a signal to `npm start` goes to every process under it; the group gets a
// SIGKILL if it is still there after a grace period, so that nothing outlives the start.
const child = spawn('npx', args, { stdio: 'inherit', env, detached: true });
const group = (sig) => {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // the group is gone already
  }
};
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (!stopping) setTimeout(() => group('SIGKILL'), 5000).unref();
    stopping = true;
    group(sig);
  });
}
child.on('exit', (code, signal) => {
  // wrangler may exit before workerd has: take the rest of the group with it
  group('SIGKILL');
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 0));
});
