/**
 * RFC 9457 problem details. Every failure the product reports is a ProblemError with a stable `type`
 * URI per kind of failure, so clients can branch on `type` and humans can read `detail`.
 */
export const PROBLEM_BASE = 'https://gmner.dev/problems/';

/** The catalogue of failure kinds: slug -> [status, title]. Titles never vary per occurrence. */
export const PROBLEMS = {
  validation: [422, 'Request validation failed'],
  'not-found': [404, 'Not found'],
  'method-not-allowed': [405, 'Method not allowed'],
  'unsupported-media-type': [415, 'Unsupported media type'],
  'body-too-large': [413, 'Request body too large'],
  'image-too-large': [413, 'Image too large'],
  'image-unsupported': [415, 'Unsupported image format'],
  'image-invalid': [422, 'Image could not be read'],
  'image-url-refused': [422, 'Image URL refused'],
  'image-fetch-failed': [502, 'Image host failed'],
  'image-fetch-timeout': [504, 'Image host timed out'],
  'llm-not-configured': [503, 'No LLM configured'],
  'llm-unavailable': [503, 'LLM unavailable'],
  'llm-failed': [502, 'LLM request failed'],
  'llm-timeout': [504, 'LLM timed out'],
  'llm-unusable-answer': [502, 'LLM answer unusable'],
  'stage-failed': [502, 'Vision stage failed'],
  'stage-timeout': [504, 'Vision stage timed out'],
  'model-store-failed': [502, 'Model store failed'],
  'model-integrity': [502, 'Model file failed verification'],
  'model-over-budget': [503, 'Model does not fit the memory budget'],
  unauthorized: [401, 'Unauthorized'],
  'key-revoked': [401, 'API key revoked'],
  'idempotency-key-invalid': [400, 'Invalid Idempotency-Key'],
  'idempotency-conflict': [409, 'Request with this Idempotency-Key still in flight'],
  'idempotency-mismatch': [422, 'Idempotency-Key reused with a different request'],
  'rate-limited': [429, 'Rate limit exceeded'],
  'quota-exceeded': [429, 'Quota exceeded'],
  'accounts-unavailable': [503, 'Accounts store unavailable'],
  'job-not-found': [404, 'Job not found'],
  'jobs-unavailable': [503, 'Job queue unavailable'],
  'callback-url-refused': [422, 'Callback URL refused'],
  'callback-failed': [502, 'Callback delivery failed'],
  'hook-source-unknown': [404, 'Unknown webhook source'],
  'webhook-signature': [401, 'Webhook signature invalid'],
  'webhook-replayed': [409, 'Webhook already received'],
  internal: [500, 'Internal error'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemKind = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON pointer into the request, e.g. `#/options/labels`. */
  pointer: string;
  detail: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly status: number;
  readonly extensions: Record<string, unknown>;
  /** Seconds a client should wait before retrying, sent as `Retry-After` when set. */
  readonly retryAfter?: number;

  constructor(kind: ProblemKind, detail: string, opts: { extensions?: Record<string, unknown>; retryAfter?: number; cause?: unknown } = {}) {
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProblemError';
    this.kind = kind;
    this.status = PROBLEMS[kind][0];
    this.extensions = opts.extensions ?? {};
    this.retryAfter = opts.retryAfter;
  }

  toBody(requestId?: string): ProblemBody {
    return problemBody(this.kind, this.message, requestId, this.extensions);
  }
}

export function problemBody(kind: ProblemKind, detail: string, requestId?: string, extensions: Record<string, unknown> = {}): ProblemBody {
  const [status, title] = PROBLEMS[kind];
  return {
    type: PROBLEM_BASE + kind,
    title,
    status,
    detail,
    ...(requestId ? { instance: `urn:request:${requestId}`, request_id: requestId } : {}),
    ...extensions,
  };
}

export const isProblem = (e: unknown): e is ProblemError => e instanceof ProblemError;
