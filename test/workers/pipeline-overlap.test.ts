

/**
 * The LLM overlap in one isolate, against the recorded OpenAI-compatible server: a stage whose prepare()
 * blocks the thread for 500 ms (as an ORT run does) must not keep the recognizer's request off the wire.
 * The server stamps when each request arrived; both clocks are this machine's wall clock.
 */
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../shared/pipeline/orchestrator';
import type { GroundStage } from '../../shared/pipeline/contracts';
import { UNIT_RECORDINGS } from '../llm-server/unit-recordings';
import { recordedRecognizer, recordedRequests } from '../support/llm';
import { fakeImage } from '../support/stage-doubles';
import { visionBench } from '../support/vision-fixtures';
import { MobileClipEntail, DEFAULT_NEGATIVES, DEFAULT_TEMPLATES } from '../../shared/stages/entail-mobileclip';
import { OwlGround } from '../../shared/stages/ground-owl';
import { SamSegment } from '../../shared/stages/segment-sam';
import { DEFAULT_ENTAIL_CALIBRATION } from '../../shared/vision/calibration';
import type { RgbaImage } from '../../shared/image/types';

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
    const ground = new BlockingGround();
    const image = fakeImage();
    const text = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;
    const started = Date.now();
    const result = await runPipeline(
      { text, labels: 'gmner', masks: false, request_id: 'overlap' },
      async () => ({ image, warnings: [] }),
      { recognize: recordedRecognizer(model, { LLM_MAX_RETRIES: '0' }), ground },
    );
    const [logged] = await recordedRequests(model);
    expect(ground.blockEnd - ground.blockStart).toBeGreaterThanOrEqual(BLOCK_MS);
    expect(logged.at).toBeGreaterThanOrEqual(started);
    expect(logged.at).toBeLessThan(ground.blockEnd);
    expect(result.timings_ms.llm_sent).toBeGreaterThan(0);
    expect(result.timings_ms.llm_sent).toBeLessThan(result.timings_ms.recognize);
    expect(result.entities.length).toBeGreaterThan(0);
  });

  it('with the real stages on fixture models: the LLM wait hides behind prepare()', async () => {
    const bench = await visionBench();
    const delay = 400;
    const model = `slow?delay_ms=${delay}&test=overlap-fixtures-${Date.now()}`;
    const segment = new SamSegment(bench.models, { encoderModel: 'mobilesam-encoder', decoderModel: 'sam-decoder-a', cacheSize: 4 });
    let prepareEnd = 0;
    const stages = {
      recognize: recordedRecognizer(model, { LLM_MAX_RETRIES: '0' }),
      entail: new MobileClipEntail(bench.models, { visionModel: 'mobileclip-s0-vision', textModel: 'mobileclip-s0-text', calibration: DEFAULT_ENTAIL_CALIBRATION, negatives: DEFAULT_NEGATIVES, templates: DEFAULT_TEMPLATES, cacheSize: 4 }),
      ground: new OwlGround(bench.models, { imageModel: 'owlvit-b32-image', queryModel: 'owlvit-b32-query', minScore: 0, cacheSize: 4 }),
      // the SAM encoder at 1024² is the longest image-level run; its end is when the thread is free again
      segment: { id: segment.id, segment: segment.segment.bind(segment), prepare: async (img: RgbaImage, key: string) => {
        await segment.prepare(img, key);
        prepareEnd = Date.now();
      } },
    };
    const image = fakeImage(1024, 768);
    const text = UNIT_RECORDINGS.find((r) => r.id === 'u3')!.text;
    const post = (id: string) => runPipeline({ text, labels: 'gmner', masks: true, request_id: id }, async () => ({ image: { ...image, sha256: id.padEnd(64, '0') }, warnings: [] }), stages);
    await post('warm'); // sessions created once per isolate, outside the measurement
    const started = Date.now();
    const t = (await post('measured')).timings_ms;
    console.log(`fixtures, LLM ${delay} ms: ${JSON.stringify(t)}`);
    const requests = await recordedRequests(model);
    const arrived = requests[requests.length - 1].at;
    expect(arrived).toBeGreaterThanOrEqual(started);
    expect(arrived).toBeLessThan(prepareEnd);
    expect(t.llm_sent).toBeLessThan(t.recognize);
  });
});
