/**
 * `npm run llm:recorded`: the test suite's recorded OpenAI-compatible server, for trying the API
 * offline. It answers posts it has recordings for: the invented unit posts, and every Twitter-GMNER
 * test post when ../shared/research/data is present. Model names choose behaviours (see
 * test/llm-server/behaviours.ts); `recorded` is the plain one.
 */
import { LLM_SERVER_PORT } from '../test/llm-server/constants';
import { startLlmServer } from '../test/llm-server/server';
import { loadTestRecordings } from '../test/llm-server/shared-data';
import { UNIT_RECORDINGS } from '../test/llm-server/unit-recordings';

const port = Number(process.env.PORT ?? LLM_SERVER_PORT);
const server = await startLlmServer({ port, recordings: UNIT_RECORDINGS, loadMore: () => loadTestRecordings()?.recordings ?? null });
console.log(`recorded LLM on ${server.url} (set LLM_BASE_URL to it, LLM_MODEL=recorded, any LLM_API_KEY)`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void server.close().then(() => process.exit(0)));
