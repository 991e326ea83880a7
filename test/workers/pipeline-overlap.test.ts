

/**
 * The LLM overlap in one isolate, against the recorded OpenAI-compatible server: a stage whose prepare()
 * blocks the thread for 500 ms (as an ORT run does) must not keep the recognizer's request off the wire.
 * The server stamps when each request arrived; both clocks are this machine's wall clock.
 */
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../shared/pipeline/orchestrator';
import type { GroundStage } from '../../shared/pipeline/contracts';
import { createRecognizer, llmConfigFromEnv } from '../../shared/recognize';
import { LLM_SERVER_ORIGIN, LLM_SERVER_URL } from '../llm-server/constants';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { fakeImage } from '../support/stage-doubles';

const BLOCK_MS = 500;

/** Holds the thread like a synchronous wasm session.run() does. */
class BlockingGround implements GroundStage {
  readonly id = 'ground:blocking';
  blockStart = 0;
  blockEnd = 0;
  async prepare() {
    this.blockStart = Date.now();
    while (Date.now() - this.blockStart < BLOCK_MS) { /* busy */ }
    this.blockEnd = Date.now();
  }
  async ground(_img: unknown, _key: string, expressions: string[]) {
    return expressions.map(() => null);
  }
}

describe('LLM overlap in one isolate', () => {
  it('the LLM request arrives before a blocking prepare() ends', async () => {
    const model = `slow?delay_ms=300&test=overlap-${Date.now()}`;
    const cfg = llmConfigFromEnv({ LLM_BASE_URL: LLM_SERVER_URL, LLM_API_KEY: 'sk-test', LLM_MODEL: model, LLM_MAX_RETRIES: '0' });
    if (!cfg.config) throw new Error(cfg.problems.join('; '));
    const ground = new BlockingGround();
    const image = fakeImage();
    const text = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;
    const started = Date.now();
    const result = await runPipeline(
      { text, labels: 'gmner', masks: false, request_id: 'overlap' },
      async () => ({ image, warnings: [] }),
      { recognize: createRecognizer(cfg.config), ground },
    );
    const [logged] = (await (await fetch(`${LLM_SERVER_ORIGIN}/__requests?model=${encodeURIComponent(model)}`)).json()) as Array<{ at: number }>;
    expect(ground.blockEnd - ground.blockStart).toBeGreaterThanOrEqual(BLOCK_MS);
    expect(logged.at).toBeGreaterThanOrEqual(started);
    expect(logged.at).toBeLessThan(ground.blockEnd);
    expect(result.timings_ms.llm_sent).toBeGreaterThan(0);
    // The LLM's 300 ms ran inside the 500 ms block: recognition ends soon after the block, not 300 ms later.
    expect(result.entities.length).toBeGreaterThan(0);
    expect(result.timings_ms.recognize).toBeLessThan(result.timings_ms.llm_sent + BLOCK_MS + 250);
  });
});
