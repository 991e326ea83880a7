/**
 * Starts the recorded OpenAI-compatible server on this run's loopback port (test/setup/ports.ts). The unit
 * recordings are served at once; the full Twitter-GMNER test set is read from ../shared only if a
 * test asks for a post outside them. If another test run on this machine already serves the port
 * with the same server, that one is used rather than failing the run.
 */
import { LLM_SERVER_ORIGIN, LLM_SERVER_PORT } from '../llm-server/constants';
import { SERVER_IDENTITY, startLlmServer } from '../llm-server/server';
import { loadTestRecordings } from '../llm-server/shared-data';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';

export default async function setup(): Promise<() => Promise<void>> {
  try {
    const server = await startLlmServer({
      port: LLM_SERVER_PORT,
      recordings: UNIT_RECORDINGS,
      loadMore: () => loadTestRecordings()?.recordings ?? null,
    });
    return () => server.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const health = await fetch(`${LLM_SERVER_ORIGIN}/__health`).then((r) => r.json()).catch(() => null) as { server?: string } | null;
    if (health?.server !== SERVER_IDENTITY) {
      throw new Error(`port ${LLM_SERVER_PORT} is taken by something other than the recorded LLM server`);
    }
    return async () => {};
  }
}
