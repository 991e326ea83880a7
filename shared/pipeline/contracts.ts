/**
 * The four stage contracts. Each is a function of plain data (numbers, strings, typed arrays), so the
 * same implementation runs in-process, behind a service binding (Workers RPC) or over HTTP unchanged.
 * Coordinates are always pixels of the image as displayed (after EXIF orientation).
 */
import type { RgbaImage } from '../image/types';

/** The label sets a post can be recognized with (Twitter-GMNER's four types, Twitter-FMNERG's coarse and fine ones). */
export const LABEL_SETS = ['gmner', 'fmnerg'] as const;
export type LabelSet = (typeof LABEL_SETS)[number];

/** The vision stages, in pipeline order: the names of their contracts below, Workers, routes and timings. */
export const STAGE_KINDS = ['entail', 'ground', 'segment'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** Where a stage runs: in the calling isolate, behind a service binding (Workers RPC), or over HTTP. */
export const PLACEMENTS = ['in-process', 'service-binding', 'url'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export interface RecognizedEntity {
  /** The surface form exactly as it occurs in the text: text.slice(start, end) === text. */
  text: string;
  /** UTF-16 offsets into the post's text. */
  start: number;
  end: number;
  /** Coarse type: PER | LOC | ORG | OTHER for gmner; the 8 coarse FMNERG types for fmnerg. */
  type: string;
  /** Fine type (fmnerg only), else null. */
  fine_type: string | null;
  /** The entity expansion expression the vision stages query with (RiVEG §2.2). */
  expansion: string;
}

export interface DroppedEntity {
  text: string;
  type: string | null;
  reason: string;
}

export interface LlmUsage {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface RecognizeInput {
  text: string;
  labels: LabelSet;
  /** Optional image for multimodal models, as a data URL or https URL. */
  image_url?: string;
  /** Optional caption of the image supplied by the client (RiVEG's "Background"). */
  caption?: string;
  request_id?: string;
  signal?: AbortSignal;
  /** Only the first this many entities (text order) will be examined; a recognizer need not spend calls on the rest. */
  max_entities?: number;
  /**
   * Called once the first LLM request has been handed to the runtime (fetch called, body given), so a
   * caller can hold back thread-blocking work (ORT runs) until the request can be written to the socket.
   * A recognizer that cannot tell never calls it; callers must not wait on it without a bound.
   */
  onSent?: () => void;
}

export interface RecognizeOutput {
  entities: RecognizedEntity[];
  dropped: DroppedEntity[];
  usage: LlmUsage;
  /** Provider and model that answered, for the answer's `models`. */
  model: string;
}

export interface Recognizer {
  readonly id: string;
  recognize(input: RecognizeInput): Promise<RecognizeOutput>;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Entailment {
  groundable: boolean;
  score: number;
}

export interface Grounding {
  box: Box;
  score: number;
}

/** COCO compressed RLE (column-major), as pycocotools writes it. */
export interface RleMask {
  size: [number, number]; // [h, w]
  counts: string;
}

export interface Segmentation {
  mask: RleMask;
  area: number;
  score: number;
}

/**
 * A vision stage. `prepare` does the image-level work (encoders) once per image and may be started
 * before the expressions are known; the per-entity call then reuses it. Both take the same image.
 */
export interface EntailStage {
  readonly id: string;
  prepare?(image: RgbaImage, imageKey: string): Promise<void>;
  entail(image: RgbaImage, imageKey: string, expressions: string[]): Promise<Entailment[]>;
}

export interface GroundStage {
  readonly id: string;
  prepare?(image: RgbaImage, imageKey: string): Promise<void>;
  ground(image: RgbaImage, imageKey: string, expressions: string[]): Promise<(Grounding | null)[]>;
}

export interface SegmentStage {
  readonly id: string;
  prepare?(image: RgbaImage, imageKey: string): Promise<void>;
  /**
   * Boxes are in `image` pixels; masks come back at `output` size (the original display frame) so a
   * platform downscale never shrinks the answer.
   */
  segment(image: RgbaImage, imageKey: string, boxes: Box[], output: { width: number; height: number }): Promise<Segmentation[]>;
}

/** The contract of stage `K`; over the union, any stage. */
export type StageOf<K extends StageKind> = { entail: EntailStage; ground: GroundStage; segment: SegmentStage }[K];
