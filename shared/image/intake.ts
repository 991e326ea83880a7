/**
 * Image intake: bytes from a URL, inline base64 or an upload, to display-frame RGBA the stages share.
 *
 * Order matters for cost: bytes are capped while they arrive, then the header alone decides the
 * format and the pixel count, and only an image that passes every limit is hashed and decoded. Big
 * images are shrunk by the platform (Downscaler) before the isolate decodes them; without one the
 * isolate decodes up to maxIsolateDecodePixels and refuses the rest (see README.md for the numbers).
 */
import { mediaType } from '../media-type';
import { ProblemError } from '../problems';
import { sha256Hex } from '../store/sha256';
import { decodeBase64Image } from './base64';
import { fetchImage, type FetchFn } from './fetch';
import { formatName, readHeader } from './header';
import { clearOrientation } from './jpeg';
import { applyOrientation, orientedSize } from './orient';
import type { Downscaler, ImageDecoder, ImageFormat, ImageHeader, IntakeImage, RgbaImage } from './types';
import { MEDIA_TYPES } from './types';

export { readHeader, sniffFormat } from './header';

export type IntakeSource =
  | { kind: 'url'; url: string }
  | { kind: 'base64'; data: string; media_type?: string }
  | { kind: 'bytes'; bytes: Uint8Array; media_type?: string };

export interface IntakeOptions {
  /** Largest image in bytes, enforced while streaming. */
  maxBytes: number;
  /** Hard limit on width x height from the header; refused (413) before any other work. */
  maxPixels: number;
  /** Long side the platform downscales to when a Downscaler is available. */
  workingMaxSide: number;
  /** Largest image the isolate decodes itself (measured; README.md). */
  maxIsolateDecodePixels: number;
  fetchTimeoutMs: number;
  maxRedirects: number;
  /** Development only: http: URLs and loopback hosts. */
  allowInsecureUrls: boolean;
  /** Cancels a fetch in flight (the request ended, or another branch of the pipeline failed). */
  signal?: AbortSignal;
}

export const DEFAULT_INTAKE_OPTIONS: IntakeOptions = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  workingMaxSide: 1024,
  maxIsolateDecodePixels: 2_100_000,
  fetchTimeoutMs: 10_000,
  maxRedirects: 3,
  allowInsecureUrls: false,
};

export interface IntakeDeps {
  decoder: ImageDecoder;
  downscaler?: Downscaler;
  fetch?: FetchFn;
}

export interface IntakeOutcome {
  image: IntakeImage;
  /** Things the caller should surface but that did not stop intake (e.g. a wrong declared type). */
  warnings: string[];
  timings_ms: Record<string, number>;
}

const MP = (px: number) => `${(px / 1e6).toFixed(1)} MP`;

export async function intakeImage(source: IntakeSource, options: IntakeOptions, deps: IntakeDeps): Promise<IntakeOutcome> {
  const timings_ms: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings_ms[name] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };

  const { bytes, media_type } = await timed('fetch', () => load(source, options, deps.fetch));
  const header = readHeader(bytes);
  const display = orientedSize(header.width, header.height, header.orientation);
  const pixels = header.width * header.height;
  if (pixels > options.maxPixels) {
    throw new ProblemError(
      'image-too-large',
      `The image is ${display.width}x${display.height} (${MP(pixels)}), over the ${MP(options.maxPixels)} limit.`,
      { extensions: { width: display.width, height: display.height, limit_pixels: options.maxPixels } },
    );
  }
  const warnings = mediaTypeWarnings(media_type, header.format);
  const sha256 = await timed('hash', () => sha256Hex(bytes));

  let stored: RgbaImage;
  const shrink = deps.downscaler && Math.max(header.width, header.height) > options.workingMaxSide;
  const small = shrink ? await timed('downscale', () => platformDownscale(bytes, header, options, deps.downscaler!, warnings)) : null;
  if (small) {
    stored = await timed('decode', () => deps.decoder.decode(small.bytes, small.format));
  } else {
    if (pixels > options.maxIsolateDecodePixels) {
      throw new ProblemError(
        'image-too-large',
        `The image is ${display.width}x${display.height} (${MP(pixels)}). Without an Images binding configured (IMAGES) to shrink it first, ` +
          `this Worker decodes at most ${MP(options.maxIsolateDecodePixels)} to stay inside its memory limit.`,
        { extensions: { width: display.width, height: display.height, limit_pixels: options.maxIsolateDecodePixels } },
      );
    }
    stored = await timed('decode', () => deps.decoder.decode(bytes, header.format));
    if (stored.width !== header.width || stored.height !== header.height) {
      throw new ProblemError('image-invalid', `The ${formatName(header.format)} decoded to ${stored.width}x${stored.height}, not the ${header.width}x${header.height} its header declares.`);
    }
  }
  const oriented = await timed('orient', () => applyOrientation(stored, header.orientation));
  return {
    image: {
      width: display.width,
      height: display.height,
      format: header.format,
      bytes: bytes.length,
      sha256,
      pixels: oriented,
      scale: oriented.width / display.width,
    },
    warnings,
    timings_ms,
  };
}

async function load(source: IntakeSource, o: IntakeOptions, fetchFn?: FetchFn): Promise<{ bytes: Uint8Array; media_type?: string }> {
  switch (source.kind) {
    case 'url':
      return fetchImage(
        source.url,
        { maxBytes: o.maxBytes, timeoutMs: o.fetchTimeoutMs, maxRedirects: o.maxRedirects, allowInsecureUrls: o.allowInsecureUrls },
        fetchFn,
        o.signal,
      );
    case 'base64': {
      const inline = decodeBase64Image(source.data, o.maxBytes);
      return { bytes: inline.bytes, media_type: source.media_type ?? inline.media_type };
    }
    case 'bytes':
      if (source.bytes.length > o.maxBytes) {
        throw new ProblemError('image-too-large', `The image is ${source.bytes.length} bytes, over the ${o.maxBytes}-byte limit.`, { extensions: { limit_bytes: o.maxBytes } });
      }
      return source;
  }
}

/**
 * The platform shrinks the stored frame: the bytes it gets have EXIF orientation cleared, so the
 * result is unrotated whether or not the platform auto-rotates, and intake rotates exactly once.
 * Null when the platform failed but the isolate may decode the original itself.
 */
async function platformDownscale(
  bytes: Uint8Array, header: ImageHeader, o: IntakeOptions, downscaler: Downscaler, warnings: string[],
): Promise<{ bytes: Uint8Array; format: ImageFormat } | null> {
  const input = header.format === 'jpeg' && header.orientation !== 1 ? clearOrientation(bytes) : bytes;
  let small: Uint8Array;
  try {
    small = await downscaler.downscale(input, o.workingMaxSide);
  } catch (e) {
    if (e instanceof ProblemError) throw e;
    // The platform reads images more strictly than the header check; a file it rejects is usually
    // damaged, and the isolate can still say precisely why when the image is small enough.
    const why = e instanceof Error ? e.message : String(e);
    if (header.width * header.height <= o.maxIsolateDecodePixels) {
      warnings.push(`The image service could not shrink the image (${why}); it was decoded in the Worker instead.`);
      return null;
    }
    throw new ProblemError('image-invalid', `The image service could not read the ${header.width}x${header.height} ${formatName(header.format)}: ${why}.`, { cause: e });
  }
  const h = readHeader(small);
  // The contract says long side <= maxSide; a platform that ignores it must not get past the memory limit.
  if (h.width * h.height > o.maxIsolateDecodePixels || Math.max(h.width, h.height) > o.workingMaxSide) {
    throw new ProblemError('internal', `The image service returned ${h.width}x${h.height}, larger than the ${o.workingMaxSide}px asked for.`);
  }
  return { bytes: small, format: h.format };
}

/** A declared type that disagrees with the bytes is worth telling the client, not worth refusing. */
function mediaTypeWarnings(declared: string | undefined, actual: ImageFormat): string[] {
  const type = mediaType(declared);
  if (!type || !type.startsWith('image/')) return [];
  const normalized = type === 'image/jpg' || type === 'image/pjpeg' ? 'image/jpeg' : type;
  if (normalized === MEDIA_TYPES[actual]) return [];
  return [`The image was declared as ${type} but its content is ${formatName(actual)}; it was read as ${MEDIA_TYPES[actual]}.`];
}
