/**
 * Test doubles for the pipeline's stages (never used by the product). Each records the order of the
 * calls it receives on a shared event log and can be held open, so tests can check overlap.
 */
import type {
  Box, EntailStage, GroundStage, RecognizeInput, RecognizeOutput, Recognizer, SegmentStage,
} from '../../shared/pipeline/contracts';
import type { IntakeImage, RgbaImage } from '../../shared/image/types';
import type { IntakeResult } from '../../shared/pipeline/orchestrator';

export class EventLog {
  readonly events: string[] = [];
  push(e: string) {
    this.events.push(e);
  }
  indexOf(e: string) {
    return this.events.indexOf(e);
  }
}

/** A promise the test resolves by hand. */
export function gate<T = void>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

export function fakeImage(width = 40, height = 30, scale = 1): IntakeImage {
  const pw = Math.round(width * scale), ph = Math.round(height * scale);
  return {
    width, height, format: 'png', bytes: 100, sha256: 'f'.repeat(64), scale,
    pixels: { width: pw, height: ph, data: new Uint8Array(pw * ph * 4) },
  };
}

export function intakeDouble(log: EventLog, image: IntakeImage, hold?: Promise<void>) {
  return async (signal: AbortSignal): Promise<IntakeResult> => {
    log.push('intake:start');
    await hold;
    if (signal.aborted) throw signal.reason;
    log.push('intake:end');
    return { image, warnings: [] };
  };
}

export class RecognizerDouble implements Recognizer {
  readonly id = 'double';
  seenSignal?: AbortSignal;
  seenInput?: RecognizeInput;
  /** `sent`: when the double says its request is out (never: a recognizer that cannot signal). */
  constructor(private log: EventLog, private output: RecognizeOutput, private hold?: Promise<void>, private sent: Promise<void> | 'never' = Promise.resolve()) {}
  async recognize(input: RecognizeInput): Promise<RecognizeOutput> {
    this.log.push('recognize:start');
    this.seenSignal = input.signal;
    this.seenInput = input;
    if (this.sent !== 'never') {
      void this.sent.then(() => {
        this.log.push('recognize:sent');
        input.onSent?.();
      });
    }
    await this.hold;
    input.signal?.throwIfAborted();
    this.log.push('recognize:end');
    return this.output;
  }
}

export function recognized(entities: Array<{ text: string; type?: string; expansion?: string }>, text: string): RecognizeOutput {
  return {
    model: 'double',
    dropped: [],
    usage: { calls: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    entities: entities.map((e) => {
      const start = text.indexOf(e.text);
      return { text: e.text, start, end: start + e.text.length, type: e.type ?? 'PER', fine_type: null, expansion: e.expansion ?? `${e.text} expansion` };
    }),
  };
}

/** Groundable when the expression contains "visible"; score 0.9 / 0.1. */
export class EntailDouble implements EntailStage {
  readonly id = 'entail-double';
  calls: string[][] = [];
  constructor(private log: EventLog) {}
  async prepare(_img: RgbaImage, key: string) {
    this.log.push(`entail:prepare:${key.slice(0, 4)}`);
  }
  async entail(_img: RgbaImage, _key: string, expressions: string[]) {
    this.log.push('entail');
    this.calls.push(expressions);
    return expressions.map((x) => (x.includes('visible') ? { groundable: true, score: 0.9 } : { groundable: false, score: 0.1 }));
  }
}

/** Boxes the i-th expression at (i*10, i*10, i*10+5, i*10+5) in stage pixels; "nobox" gets null. */
export class GroundDouble implements GroundStage {
  readonly id = 'ground-double';
  calls: string[][] = [];
  constructor(private log: EventLog) {}
  async prepare() {
    this.log.push('ground:prepare');
  }
  async ground(_img: RgbaImage, _key: string, expressions: string[]) {
    this.log.push('ground');
    this.calls.push(expressions);
    return expressions.map((x, i) => (x.includes('nobox') ? null : { box: { x1: i * 10, y1: i * 10, x2: i * 10 + 5, y2: i * 10 + 5 }, score: 0.8 }));
  }
}

export class SegmentDouble implements SegmentStage {
  readonly id = 'segment-double';
  calls: Array<{ boxes: Box[]; output: { width: number; height: number } }> = [];
  constructor(private log: EventLog) {}
  async prepare() {
    this.log.push('segment:prepare');
  }
  async segment(_img: RgbaImage, _key: string, boxes: Box[], output: { width: number; height: number }) {
    this.log.push('segment');
    this.calls.push({ boxes, output });
    return boxes.map(() => ({ mask: { size: [output.height, output.width] as [number, number], counts: 'abc' }, area: 25, score: 0.7 }));
  }
}
