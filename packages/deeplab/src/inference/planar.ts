/**
 * The few image operations test-time augmentation needs, on float32 planes
 * `[channels, height, width]` in plain JavaScript, so the tfjs and ONNX
 * Runtime segmenters share them and need no tensor backend for them.
 *
 * @module
 */
import { bilinearTaps } from '@seg/core/kernels';

/**
 * Bilinear resize with half-pixel centres, PyTorch's `align_corners=False`
 * and tfjs's `resizeBilinear(x, size, false, true)`.
 */
export function resizePlanes(x: Float32Array, channels: number, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  if (height === outHeight && width === outWidth) return x;
  const rows = bilinearTaps(height, outHeight);
  const cols = bilinearTaps(width, outWidth);
  const out = new Float32Array(channels * outHeight * outWidth);
  for (let c = 0; c < channels; c++) {
    const src = c * height * width;
    const dst = c * outHeight * outWidth;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = src + rows.lo[oy] * width;
      const bottom = src + rows.hi[oy] * width;
      const ty = rows.wHi[oy];
      for (let ox = 0; ox < outWidth; ox++) {
        const l = cols.lo[ox];
        const r = cols.hi[ox];
        const tx = cols.wHi[ox];
        const a = x[top + l] + (x[top + r] - x[top + l]) * tx;
        const b = x[bottom + l] + (x[bottom + r] - x[bottom + l]) * tx;
        out[dst + oy * outWidth + ox] = a + (b - a) * ty;
      }
    }
  }
  return out;
}

/** The planes mirrored left to right. */
export function mirrorPlanes(x: Float32Array, channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let row = 0; row < channels * height; row++) {
    const base = row * width;
    for (let c = 0; c < width; c++) out[base + c] = x[base + width - 1 - c];
  }
  return out;
}

/** Softmax over the channel axis of `[channels, pixels]` planes, in place. */
export function softmaxPlanes(x: Float32Array, channels: number, pixels: number): Float32Array {
  for (let p = 0; p < pixels; p++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < channels; c++) max = Math.max(max, x[c * pixels + p]);
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const e = Math.exp(x[c * pixels + p] - max);
      x[c * pixels + p] = e;
      sum += e;
    }
    for (let c = 0; c < channels; c++) x[c * pixels + p] /= sum;
  }
  return x;
}
