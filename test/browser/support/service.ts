/**
 * The whole service as `npm start` runs it, for the browser tests: `wrangler dev` of the real Worker
 * (which builds web/dist first, wrangler.toml [build]) through the project's one launcher
 * (test/support/wrangler-dev.ts), with the recorded LLM and MODEL_SET=fixtures, in a temporary local
 * state with one API key made by `npm run keys`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLlmServer } from '../../llm-server/server';
import { UNIT_RECORDINGS } from '../../llm-server/unit-recordings';
import { createKey, startWranglerDev, type DevServer } from '../../support/wrangler-dev';

export { ROOT } from '../../support/wrangler-dev';

export interface Service {
  origin: string;
  key: string;
  /** The dev server's output so far (the Worker's request log lines among them). */
  output(): string;
  close(): Promise<void>;
}

export async function startService(): Promise<Service> {
  const state = mkdtempSync(join(tmpdir(), 'gmner-browser-'));
  const llm = await startLlmServer({ port: 0, recordings: UNIT_RECORDINGS });
  let dev: DevServer | undefined;
  const close = async () => {
    await dev?.stop();
    await llm.close();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    const { key } = await createKey(state, { name: 'browser' });
    dev = await startWranglerDev({
      state,
      vars: { LLM_BASE_URL: llm.url, LLM_API_KEY: 'local', LLM_MODEL: 'recorded', MODEL_SET: 'fixtures', RATE_LIMIT_REQUESTS: '1000' },
    });
    return { origin: dev.origin, key, output: dev.output, close };
  } catch (e) {
    await close();
    throw e;
  }
}
