/**
 * Where the recorded LLM server listens during the test run (test/setup/llm-server.ts starts it on a free
 * port, test/setup/ports.ts), and by default for `npm run llm:recorded` (8791).
 * Safe to import from workerd tests: no Node APIs here.
 */
import { TEST_PORTS } from '../setup/ports';

export const LLM_SERVER_PORT = TEST_PORTS.llm;
export const LLM_SERVER_ORIGIN = `http://127.0.0.1:${LLM_SERVER_PORT}`;
/** The OpenAI-compatible base URL to put in LLM_BASE_URL. */
export const LLM_SERVER_URL = `${LLM_SERVER_ORIGIN}/v1`;
