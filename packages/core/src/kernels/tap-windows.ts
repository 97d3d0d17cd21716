import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry.js';

/** The input samples one filter tap multiplies, and the outputs they feed. */
export interface TapWindow {
  /** Input samples, channel-major: `[c, n, rows, cols]`. */
  x: tf.Tensor4D;
  /** First output row / column whose window for this tap lies inside the input. */
  outTop: number;
  outLeft: number;
  /** Number of such output rows / columns. */
  rows: number;
  cols: number;
  /** Whether every output position reads an input sample (no padding) through this tap. */
  full: boolean;
}

/** Output positions `[first, count]` whose tap `k` reads inside an input axis of `size`. */
function validRange(k: number, pad: number, stride: number, dilation: number, size: number, out: number) {
  const offset = k * dilation - pad;
  const first = Math.max(0, Math.ceil(-offset / stride));
  const last = Math.min(out - 1, Math.floor((size - 1 - offset) / stride));
  return { first, count: last - first + 1, inputStart: first * stride + offset };
}

/**
 * Calls `visit` once per filter tap `(a, b)` with the input samples that tap
 * multiplies, or `null` when every sample it would read is padding.
 *
 * Along an axis whose padding is small next to its size the input is
 * zero-padded once, so every window covers all outputs and callers can reuse
 * one upstream-gradient operand (which wasm's `BatchMatMul` packs only once).
 * Along an axis with large padding (ASPP rates: 36 on a 33×33 map pads it to
 * ten times its area) windows are clipped to the real input instead, and taps
 * that read only padding cost nothing. For strides > 1 the input is first
 * split into its stride phases with contiguous NHWC slices, so every window is
 * a plain slice (wasm's strided slice is ~25× slower than its plain slice).
 * Each window is disposed after `visit` returns.
 */
export function forEachTap(
  x: tf.Tensor4D,
  g: ConvGeometry,
  visit: (a: number, b: number, window: TapWindow | null) => void,
): void {
  const rowPad = g.padTop + g.padBottom;
  const colPad = g.padLeft + g.padRight;
  const padRows = rowPad <= x.shape[1] / 2;
  const padCols = colPad <= x.shape[2] / 2;
  const padded =
    (padRows && rowPad > 0) || (padCols && colPad > 0)
      ? tf.pad(x, [
          [0, 0],
          padRows ? [g.padTop, g.padBottom] : [0, 0],
          padCols ? [g.padLeft, g.padRight] : [0, 0],
          [0, 0],
        ])
      : x;
  const padTop = padRows ? 0 : g.padTop;
  const padLeft = padCols ? 0 : g.padLeft;
  forEachClippedTap(padded, g, padTop, padLeft, visit);
  if (padded !== x) padded.dispose();
}

function forEachClippedTap(
  x: tf.Tensor4D,
  g: ConvGeometry,
  padTop: number,
  padLeft: number,
  visit: (a: number, b: number, window: TapWindow | null) => void,
): void {
  const [n, h, w, c] = x.shape;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const phases = new Map<string, tf.Tensor4D>();
  const phase = (ph: number, pw: number): tf.Tensor4D => {
    const key = `${ph},${pw}`;
    const cached = phases.get(key);
    if (cached != null) return cached;
    const t = tf.tidy((): tf.Tensor4D => {
        if (sh === 1 && sw === 1) return tf.transpose(x, [3, 0, 1, 2]);
        const h2 = Math.ceil(h / sh);
        const w2 = Math.ceil(w / sw);
        const padded = tf.pad(x, [
          [0, 0],
          [0, h2 * sh - h],
          [0, w2 * sw - w],
          [0, 0],
        ]);
        const split = tf.reshape(padded, [n * h2, sh, w2, sw * c]);
        const picked = tf.slice(split, [0, ph, 0, pw * c], [n * h2, 1, w2, c]);
        return tf.transpose(tf.reshape(picked, [n, h2, w2, c]) as tf.Tensor4D, [3, 0, 1, 2]);
    });
    phases.set(key, t);
    return t;
  };
  for (let a = 0; a < g.filterHeight; a++) {
    const rows = validRange(a, padTop, sh, g.dilationHeight, h, g.outHeight);
    for (let b = 0; b < g.filterWidth; b++) {
      const cols = validRange(b, padLeft, sw, g.dilationWidth, w, g.outWidth);
      if (rows.count <= 0 || cols.count <= 0) {
        visit(a, b, null);
        continue;
      }
      const ph = rows.inputStart % sh;
      const pw = cols.inputStart % sw;
      const source = phase(ph, pw);
      const window = tf.slice(
        source,
        [0, 0, (rows.inputStart - ph) / sh, (cols.inputStart - pw) / sw],
        [c, n, rows.count, cols.count],
      );
      visit(a, b, {
        x: window,
        outTop: rows.first,
        outLeft: cols.first,
        rows: rows.count,
        cols: cols.count,
        full: rows.count === g.outHeight && cols.count === g.outWidth,
      });
      window.dispose();
    }
  }
  for (const t of phases.values()) t.dispose();
}
