/** Formats the product accepts, named by what their magic bytes say (never by a declared type). */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const MEDIA_TYPES: Record<ImageFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Width and height in pixels of whatever frame the name says (image, model input, canvas). */
export interface Size {
  width: number;
  height: number;
}

/**
 * A decoded image in display orientation (EXIF already applied): 8-bit RGBA, row-major, no padding.
 * This is the one pixel frame every stage receives; model-specific resizing happens inside stages.
 */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array; // length = width * height * 4
}

/** What the header says before any decoding. Width/height are as stored (before EXIF orientation). */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** EXIF orientation 1..8 (JPEG only; 1 when absent). */
  orientation: number;
}

/** The image as the pipeline carries it: display-frame pixels plus where they came from. */
export interface IntakeImage {
  /** Display-frame size of the original (after EXIF orientation), the frame every box is reported in. */
  width: number;
  height: number;
  format: ImageFormat;
  bytes: number;
  /** SHA-256 hex of the original bytes: the cache key for image-level work. */
  sha256: string;
  /** Decoded pixels; may be smaller than width x height when the platform downscaled first (see scale). */
  pixels: RgbaImage;
  /** pixels.width / width: multiply pixel-frame coordinates by 1/scale to get original-frame ones. */
  scale: number;
}

/** Turns encoded bytes of a supported format into RGBA pixels in the stored frame (no orientation). */
export interface ImageDecoder {
  decode(bytes: Uint8Array, format: ImageFormat): Promise<RgbaImage>;
}

/**
 * Platform-side shrinking, so the isolate never decodes a big photo. Returns an encoded PNG or JPEG
 * whose long side is at most maxSide, in display orientation. Intake hands it bytes whose EXIF
 * orientation is already cleared (see intake.ts), so whether the platform auto-rotates cannot matter.
 */
export interface Downscaler {
  downscale(bytes: Uint8Array, maxSide: number): Promise<Uint8Array>;
}
