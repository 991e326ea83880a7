// `npm start`: the API on http://localhost:8787 through `wrangler dev`, offline, with local
// R2/KV/D1/Queues state in .wrangler/. Configuration comes from .dev.vars (wrangler reads it) and,
// for the variables the README lists, from this process's environment, which wins.
import { spawn } from 'node:child_process';
import { CONFIG_VARIABLES } from './config-variables.mjs';

const port = process.env.PORT ?? '8787';
const args = ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', port, '--show-interactive-dev-session=false'];
for (const name of CONFIG_VARIABLES) {
  const value = process.env[name];
  if (value !== undefined && value !== '') args.push('--var', `${name}:${value}`);
}

const child = spawn('npx', args, {
  stdio: 'inherit',
  env: {
    ...process.env,
    // No account, no telemetry, no Request.cf download: a fresh machine without a network works.
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
  },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
