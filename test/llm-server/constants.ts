/**
 * Where the recorded LLM server listens during the test run (test/setup/llm-server.ts starts it).
 * Safe to import from workerd tests: no Node APIs here.
 */
export const LLM_SERVER_PORT = 8791;
export const LLM_SERVER_ORIGIN = `http://127.0.0.1:${LLM_SERVER_PORT}`;
/** The OpenAI-compatible base URL to put in LLM_BASE_URL. */
export const LLM_SERVER_URL = `${LLM_SERVER_ORIGIN}/v1`;
