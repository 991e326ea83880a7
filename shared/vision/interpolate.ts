/**
 * Bilinear resampling of a float plane with PyTorch's F.interpolate(mode="bilinear",
 * align_corners=False) semantics (and ONNX Resize linear/half_pixel, which SAM's exported graphs
 * use): source = (dst + 0.5) * in/out - 0.5, clamped at 0 below, right/bottom neighbour clamped to
 * the edge; no antialiasing. Unlike PIL's resize this is what SAM's mask post-processing does.
 */

export interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float64Array;
}

/** Taps for the first `count` outputs of a resize from `inSize` to `outSize` along one axis: output d reads inputs i0[d], i1[d] with weights 1-w1[d], w1[d]. */
export function taps(inSize: number, outSize: number, count: number): Taps {
  const scale = inSize / outSize;
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w1 = new Float64Array(count);
  for (let d = 0; d < count; d++) {
    let src = scale * (d + 0.5) - 0.5;
    if (src < 0) src = 0;
    const lo = Math.floor(src);
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    w1[d] = src - lo;
  }
  return { i0, i1, w1 };
}

/**
 * The top-left `outW` x `outH` window (`[outH,outW]` float32, row-major) of resizing the `[inH,inW]` plane `src` to
 * `fullW` x `fullH`. With full = out this is a plain resize; a smaller window is SAM's crop of the
 * padded 1024 square without computing the padding.
 */
export function bilinearWindow(
  src: Float32Array, inW: number, inH: number, fullW: number, fullH: number, outW: number, outH: number,
): Float32Array {
  if (src.length < inW * inH) throw new RangeError(`plane has ${src.length} values, expected ${inW}x${inH}`);
  if (outW > fullW || outH > fullH) throw new RangeError(`window ${outW}x${outH} exceeds the resize target ${fullW}x${fullH}`);
  const tx = taps(inW, fullW, outW);
  const ty = taps(inH, fullH, outH);
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const r0 = ty.i0[y] * inW, r1 = ty.i1[y] * inW, b = ty.w1[y], a = 1 - b;
    for (let x = 0; x < outW; x++) {
      const c0 = tx.i0[x], c1 = tx.i1[x], q = tx.w1[x], p = 1 - q;
      out[y * outW + x] = a * (p * src[r0 + c0] + q * src[r0 + c1]) + b * (p * src[r1 + c0] + q * src[r1 + c1]);
    }
  }
  return out;
}

/** `[inH,inW]` float32 -> `[outH,outW]` float32, row-major, same content stretched per axis. */
export function bilinearResize(src: Float32Array, inW: number, inH: number, outW: number, outH: number): Float32Array {
  return bilinearWindow(src, inW, inH, outW, outH, outW, outH);
}
