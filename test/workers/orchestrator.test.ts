import { describe, expect, it } from 'vitest';
import { workLimitsFromEnv } from '../../shared/pipeline/limits';
import { LLM_SEND_SETTLE_MS, LLM_SENT_WAIT_MS, runPipeline } from '../../shared/pipeline/orchestrator';
import { ProblemError } from '../../shared/problems';
import {
  EntailDouble, EventLog, GroundDouble, RecognizerDouble, SegmentDouble, fakeImage, gate, intakeDouble, recognized,
} from '../support/stage-doubles';

const TEXT = 'Kevin Durant and Stephen Curry at Oracle Arena';
const req = (masks = false) => ({ text: TEXT, labels: 'gmner' as const, masks, request_id: 'r1' });

function setup(opts: { masks?: boolean; scale?: number; expansions?: string[] } = {}) {
  const log = new EventLog();
  const llm = gate();
  const names = ['Kevin Durant', 'Stephen Curry', 'Oracle Arena'];
  const expansions = opts.expansions ?? ['visible player', 'absent player', 'visible arena'];
  const recognizer = new RecognizerDouble(log, recognized(names.map((text, i) => ({ text, expansion: expansions[i] })), TEXT), llm.promise);
  const stages = { recognize: recognizer, entail: new EntailDouble(log), ground: new GroundDouble(log), segment: new SegmentDouble(log) };
  return { log, llm, stages, image: fakeImage(40, 30, opts.scale ?? 1) };
}

describe('pipeline ordering and concurrency', () => {
  it('starts intake and recognition together and prepares image-level work while the LLM is in flight', async () => {
    const { log, llm, stages, image } = setup();
    const run = runPipeline(req(true), intakeDouble(log, image), stages);
    await new Promise((r) => setTimeout(r, LLM_SEND_SETTLE_MS + 30));
    // The LLM has not answered, yet the encoders have already run.
    expect(log.events).toEqual(expect.arrayContaining(['intake:start', 'recognize:start', 'intake:end', 'entail:prepare:ffff', 'ground:prepare', 'segment:prepare']));
    expect(log.events).not.toContain('recognize:end');
    expect(log.events).not.toContain('entail');
    llm.open();
    const result = await run;
    expect(log.indexOf('recognize:end')).toBeLessThan(log.indexOf('entail'));
    expect(log.indexOf('entail')).toBeLessThan(log.indexOf('ground'));
    expect(log.indexOf('ground')).toBeLessThan(log.indexOf('segment'));
    expect(Object.keys(result.timings_ms)).toEqual(expect.arrayContaining(['intake', 'recognize', 'entail', 'ground', 'segment', 'total']));
  });

  it('starts image-level work only after the recognizer says its request is out, and marks when', async () => {
    const { log, llm, stages, image } = setup();
    const sent = gate();
    const recognizer = new RecognizerDouble(log, recognized([{ text: 'Kevin Durant', expansion: 'visible player' }], TEXT), llm.promise, sent.promise);
    const run = runPipeline(req(true), intakeDouble(log, image), { ...stages, recognize: recognizer });
    await new Promise((r) => setTimeout(r, 20));
    expect(log.events).toContain('intake:end');
    expect(log.events.filter((e) => e.includes(':prepare'))).toEqual([]);
    sent.open();
    await new Promise((r) => setTimeout(r, LLM_SEND_SETTLE_MS + 30));
    expect(log.indexOf('recognize:sent')).toBeLessThan(log.indexOf('ground:prepare'));
    expect(log.events).toEqual(expect.arrayContaining(['entail:prepare:ffff', 'ground:prepare', 'segment:prepare']));
    expect(log.events).not.toContain('recognize:end');
    llm.open();
    const result = await run;
    expect(result.timings_ms.llm_sent).toBeGreaterThanOrEqual(15);
    expect(result.timings_ms.llm_sent).toBeLessThan(result.timings_ms.recognize);
  });

  it('does not wait for a signal that never comes longer than the bound', async () => {
    const { log, llm, stages, image } = setup();
    const recognizer = new RecognizerDouble(log, recognized([{ text: 'Kevin Durant', expansion: 'visible player' }], TEXT), llm.promise, 'never');
    const run = runPipeline(req(false), intakeDouble(log, image), { ...stages, recognize: recognizer });
    await new Promise((r) => setTimeout(r, LLM_SENT_WAIT_MS / 2));
    expect(log.events).not.toContain('ground:prepare');
    await new Promise((r) => setTimeout(r, LLM_SENT_WAIT_MS));
    expect(log.events).toContain('ground:prepare');
    llm.open();
    expect((await run).timings_ms.llm_sent).toBeUndefined();
  });

  it('sends all entities of a post in one call per stage and skips ungroundable ones', async () => {
    const { log, llm, stages, image } = setup();
    llm.open();
    const result = await runPipeline(req(true), intakeDouble(log, image), stages);
    expect(stages.entail.calls).toEqual([['visible player', 'absent player', 'visible arena']]);
    expect(stages.ground.calls).toEqual([['visible player', 'visible arena']]);
    expect(stages.segment.calls).toHaveLength(1);
    expect(stages.segment.calls[0].boxes).toHaveLength(2);
    const [kd, sc, arena] = result.entities;
    expect(kd).toMatchObject({ groundable: true, entailment_score: 0.9, box: { x1: 0, y1: 0, x2: 5, y2: 5, score: 0.8 } });
    expect(sc).toMatchObject({ groundable: false, entailment_score: 0.1, box: null, mask: null });
    expect(arena.box).toEqual({ x1: 10, y1: 10, x2: 15, y2: 15, score: 0.8 });
    expect(arena.mask).toEqual({ size: [30, 40], counts: 'abc', area: 25, score: 0.7 });
  });

  it('does not segment without masks, and does not prepare the segmenter', async () => {
    const { log, llm, stages, image } = setup();
    llm.open();
    const result = await runPipeline(req(false), intakeDouble(log, image), stages);
    expect(log.events).not.toContain('segment:prepare');
    expect(stages.segment.calls).toHaveLength(0);
    expect(result.entities.every((e) => e.mask === null)).toBe(true);
  });

  it('skips grounding entirely when nothing is groundable', async () => {
    const { log, llm, stages, image } = setup({ expansions: ['a', 'b', 'c'] });
    llm.open();
    await runPipeline(req(true), intakeDouble(log, image), stages);
    expect(stages.ground.calls).toHaveLength(0);
    expect(stages.segment.calls).toHaveLength(0);
  });

  it('maps boxes from downscaled stage pixels back to the original frame and asks masks at original size', async () => {
    const { log, llm, stages, image } = setup({ scale: 0.5 });
    llm.open();
    const result = await runPipeline(req(true), intakeDouble(log, image), stages);
    // The double boxes the 2nd groundable expression at 10..15 in 20x15 stage pixels -> 20..30 in 40x30.
    expect(result.entities[2].box).toEqual({ x1: 20, y1: 20, x2: 30, y2: 30, score: 0.8 });
    // Segmentation receives boxes in its own pixels again and the original size for its masks.
    expect(stages.segment.calls[0].boxes[1]).toEqual({ x1: 10, y1: 10, x2: 15, y2: 15 });
    expect(stages.segment.calls[0].output).toEqual({ width: 40, height: 30 });
  });

  it('leaves vision fields null and warns when stages are not configured', async () => {
    const { log, llm, stages, image } = setup();
    llm.open();
    const result = await runPipeline(req(true), intakeDouble(log, image), { recognize: stages.recognize });
    expect(result.entities).toHaveLength(3);
    expect(result.entities.every((e) => e.groundable === null && e.box === null && e.mask === null)).toBe(true);
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^entail stage is not configured/), expect.stringMatching(/^segment stage/)]));
  });

  it('cancels the LLM call when the image fails, and reports the image problem', async () => {
    const { log, stages } = setup();
    const failingIntake = async () => {
      throw new ProblemError('image-invalid', 'truncated');
    };
    await expect(runPipeline(req(), failingIntake, stages)).rejects.toMatchObject({ kind: 'image-invalid' });
    expect(stages.recognize.seenSignal?.aborted).toBe(true);
    expect(log.events).not.toContain('recognize:end');
  });

  it('turns a stage crash into a stage-failed problem naming the stage', async () => {
    const { log, llm, stages, image } = setup();
    stages.ground.ground = async () => {
      throw new Error('boom');
    };
    llm.open();
    const err = await runPipeline(req(), intakeDouble(log, image), stages).catch((e) => e);
    expect(err).toMatchObject({ kind: 'stage-failed', status: 502, extensions: { dependency: 'ground' }, message: 'The ground stage failed; its error is in the logs under this request id.' });
    expect((err.cause as Error).message).toBe('boom');
  });
});

describe('bounded work per post', () => {
  const REPEATED = 'Kevin Durant '.repeat(700).trim();
  function repeated(limits?: { maxEntities: number; stageBatch: number }, masks = true) {
    const log = new EventLog();
    const llm = gate();
    llm.open();
    const out = recognized([], REPEATED);
    // what span alignment makes of one name repeated 700 times: 700 entities
    out.entities = Array.from({ length: 700 }, (_, i) => ({ text: 'Kevin Durant', start: i * 13, end: i * 13 + 12, type: 'PER', fine_type: null, expansion: 'visible player' }));
    const stages = { recognize: new RecognizerDouble(log, out, llm.promise), entail: new EntailDouble(log), ground: new GroundDouble(log), segment: new SegmentDouble(log) };
    return { stages, run: runPipeline({ text: REPEATED, labels: 'gmner', masks, request_id: 'r', limits }, intakeDouble(log, fakeImage()), stages) };
  }

  it('keeps the first MAX_ENTITIES_PER_POST entities, lists the cut ones in dropped and names them in a warning', async () => {
    const { stages, run } = repeated();
    const result = await run;
    expect(result.entities).toHaveLength(32);
    expect(result.entities.map((e) => e.start)).toEqual(Array.from({ length: 32 }, (_, i) => i * 13));
    expect(result.recognition.entities).toHaveLength(32);
    expect(result.recognition.dropped).toEqual([
      { text: 'Kevin Durant', type: 'PER', reason: 'over the limit of 32 entities per post (MAX_ENTITIES_PER_POST): 668 mentions not examined' },
    ]);
    expect(result.warnings).toContain('668 of 700 entities were cut, over the limit of 32 entities per post (MAX_ENTITIES_PER_POST): "Kevin Durant" (PER) ×668; see dropped');
    const examined = (calls: unknown[][]) => calls.reduce((a, c) => a + c.length, 0);
    expect(examined(stages.entail.calls)).toBe(32);
    // the recognizer is told, so it spends no per-entity LLM calls past the cap
    expect(stages.recognize.seenInput?.max_entities).toBe(32);
    expect(examined(stages.ground.calls)).toBeLessThanOrEqual(32);
  });

  it('runs each stage in chunks of at most STAGE_BATCH_SIZE items, in order, with every item answered', async () => {
    const { stages, run } = repeated({ maxEntities: 40, stageBatch: 16 });
    const result = await run;
    expect(stages.entail.calls.map((c) => c.length)).toEqual([16, 16, 8]);
    expect(stages.ground.calls.map((c) => c.length)).toEqual([16, 16, 8]);
    expect(stages.segment.calls.map((c) => c.boxes.length)).toEqual([16, 16, 8]);
    expect(result.entities.every((e) => e.groundable === true && e.box !== null && e.mask !== null)).toBe(true);
  });

  it('reads MAX_ENTITIES_PER_POST and STAGE_BATCH_SIZE, with defaults 32 and 16', () => {
    expect(workLimitsFromEnv({})).toEqual({ maxEntities: 32, stageBatch: 16 });
    expect(workLimitsFromEnv({ MAX_ENTITIES_PER_POST: '8', STAGE_BATCH_SIZE: '4' })).toEqual({ maxEntities: 8, stageBatch: 4 });
    expect(workLimitsFromEnv({ MAX_ENTITIES_PER_POST: '0', STAGE_BATCH_SIZE: 'x' })).toEqual({ maxEntities: 32, stageBatch: 16 });
  });

  it('leaves a post under the cap untouched', async () => {
    const { log, llm, stages, image } = setup();
    llm.open();
    const result = await runPipeline({ ...req(true), limits: { maxEntities: 3, stageBatch: 2 } }, intakeDouble(log, image), stages);
    expect(result.entities).toHaveLength(3);
    expect(result.recognition.dropped).toEqual([]);
    expect(result.warnings.join(' ')).not.toMatch(/cut/);
    expect(stages.entail.calls).toEqual([['visible player', 'absent player'], ['visible arena']]);
  });
});

describe('pipeline events (for streaming)', () => {
  it('announces the entities after the LLM, then each entity as every stage fills it', async () => {
    const { log, llm, stages, image } = setup();
    llm.open();
    const events: string[] = [];
    const result = await runPipeline(req(true), intakeDouble(log, image), stages, undefined, (e) =>
      events.push(e.type === 'entities' ? `entities:${e.entities.length}` : `${e.stage}:${e.index}:${e.entity.groundable}:${e.entity.box !== null}:${e.entity.mask !== null}`),
    );
    expect(events).toEqual([
      'entities:3',
      'entail:0:true:false:false', 'entail:1:false:false:false', 'entail:2:true:false:false',
      'ground:0:true:true:false', 'ground:2:true:true:false',
      'segment:0:true:true:true', 'segment:2:true:true:true',
    ]);
    // Events carry copies: later stages do not rewrite what was already sent.
    expect(result.entities[0].mask).not.toBeNull();
  });
});
