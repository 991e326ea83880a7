/**
 * Request limits and development switches, read from the Worker's environment (vars) with defaults.
 * Pure: takes a plain record so it runs anywhere.
 */
export interface ApiLimits {
  /** Largest accepted request body (JSON or multipart), bytes. */
  maxBodyBytes: number;
  /** Largest image, bytes (checked while streaming). */
  maxImageBytes: number;
  /** Hard pixel limit from the header, before any decoding. */
  maxImagePixels: number;
  imageFetchTimeoutMs: number;
  /** Development only: allow http:// and loopback image URLs. */
  allowInsecureImageUrls: boolean;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxImageBytes: 10 * 1024 * 1024,
  maxImagePixels: 40_000_000,
  imageFetchTimeoutMs: 10_000,
  allowInsecureImageUrls: false,
};

export function limitsFromEnv(env: Record<string, unknown>): ApiLimits {
  return {
    maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes),
    maxImageBytes: positiveInt(env.MAX_IMAGE_BYTES, DEFAULT_LIMITS.maxImageBytes),
    maxImagePixels: positiveInt(env.MAX_IMAGE_PIXELS, DEFAULT_LIMITS.maxImagePixels),
    imageFetchTimeoutMs: positiveInt(env.IMAGE_FETCH_TIMEOUT_MS, DEFAULT_LIMITS.imageFetchTimeoutMs),
    allowInsecureImageUrls: flag(env.ALLOW_INSECURE_IMAGE_URLS, DEFAULT_LIMITS.allowInsecureImageUrls),
  };
}

export function positiveInt(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export function flag(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string' || v.trim() === '') return fallback;
  return ['1', 'true', 'on', 'yes'].includes(v.trim().toLowerCase());
}
