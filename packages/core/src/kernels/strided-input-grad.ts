import * as tf from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry.js';

/**
 * Runs the forward convolution of one phase: `z` with the already flipped
 * sub-filter `taps`, at stride 1 with explicit padding `pad`; returns
 * `[batch, rows, cols, inChannels]`.
 */
export type PhaseConv = (z: tf.Tensor4D, taps: tf.Tensor4D, pad: backend_util.ExplicitPadding) => tf.Tensor4D;

/**
 * The filter taps at rows `rows` × columns `cols`, in that order:
 * `[rows.length, cols.length, ·, ·]`. Reversed index lists give the flipped
 * filter a transposed convolution needs.
 *
 * Built from one contiguous slice per tap: on wasm, `reverse`, `gather` and
 * strided slices of a 3×3×256×256 filter take 20–50 ms each, tap slices well
 * under 1 ms.
 */
export function pickTaps(filter: tf.Tensor4D, rows: number[], cols: number[]): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  if (rows.length === kh && cols.length === kw && rows.every((r, i) => r === i) && cols.every((c, i) => c === i)) {
    return filter;
  }
  // One split into taps and one concat of those picked: 4 kernels whatever kh·kw (a slice per
  // tap took 51 for a 7×7), and on wasm both only copy memory (tf.gather and tf.reverse loop per
  // element there: 10-30× slower on a 3×3×256×256 filter).
  return tf.tidy(() => {
    const taps = tf.split(tf.reshape(filter, [kh * kw, a * b]), kh * kw, 0);
    const picked = rows.flatMap((r) => cols.map((c) => taps[r * kw + c]));
    return tf.reshape(tf.concat(picked, 0), [rows.length, cols.length, a, b]);
  });
}

/** `first, first + step, …` below `end`, last first. */
export function reversedRange(first: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = first; i < end; i += step) out.unshift(i);
  return out;
}

/** Per input residue `r` along one axis: the filter taps and upstream window of that phase. */
interface AxisPhase {
  /** First tap `ρ` and number of taps `ρ, ρ + s, …` that reach inputs `≡ r (mod s)`. */
  firstTap: number;
  taps: number;
  /** Number of input positions `r, r + s, …` below the axis size. */
  count: number;
  /** Upstream padding (negative: crop) before and after, for a 'valid' correlation. */
  before: number;
  after: number;
}

function axisPhases(size: number, out: number, k: number, stride: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < stride; r++) {
    const firstTap = (r + padBefore) % stride;
    const taps = firstTap < k ? Math.ceil((k - firstTap) / stride) : 0;
    const count = r < size ? Math.ceil((size - r) / stride) : 0;
    const first = (r + padBefore - firstTap) / stride;
    const before = taps - 1 - first;
    phases.push({ firstTap, taps, count, before, after: count + taps - 1 - out - before });
  }
  return phases;
}

function cropOrPad(dy: tf.Tensor4D, ph: AxisPhase, pw: AxisPhase) {
  const [n, ho, wo, c] = dy.shape;
  let z = dy;
  if (ph.before < 0 || ph.after < 0 || pw.before < 0 || pw.after < 0) {
    const t = Math.max(0, -ph.before);
    const l = Math.max(0, -pw.before);
    z = tf.slice(dy, [0, t, l, 0], [n, ho - t - Math.max(0, -ph.after), wo - l - Math.max(0, -pw.after), c]);
  }
  const pad: backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, ph.before), Math.max(0, ph.after)],
    [Math.max(0, pw.before), Math.max(0, pw.after)],
    [0, 0],
  ];
  return { z, pad };
}

/**
 * Input gradient of a strided (dilation 1) convolution as `sh·sw` small
 * stride-1 forward convolutions, one per output phase, interleaved.
 *
 * Input position `r + q·s` only receives gradient through taps `ρ, ρ + s, …`
 * with `ρ ≡ r + padBefore (mod s)`, so each phase is a plain correlation of
 * the upstream gradient with that subset of taps (the sub-pixel view of a
 * transposed convolution). The total cost is that of the forward conv, where
 * inserting zeros between upstream rows/columns would cost `s²` times more.
 */
export function stridedInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  inChannels: number,
  conv: PhaseConv,
): tf.Tensor4D {
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const rowPhases = axisPhases(g.inHeight, g.outHeight, g.filterHeight, sh, g.padTop);
  const colPhases = axisPhases(g.inWidth, g.outWidth, g.filterWidth, sw, g.padLeft);
  const hq = Math.ceil(g.inHeight / sh);
  const wq = Math.ceil(g.inWidth / sw);
  const [kh, kw] = filter.shape;
  const rows: tf.Tensor4D[] = [];
  for (const ph of rowPhases) {
    const cols: tf.Tensor4D[] = [];
    for (const pw of colPhases) {
      if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) {
        cols.push(tf.zeros([g.batch, hq, wq, inChannels]));
        continue;
      }
      const taps = pickTaps(filter, reversedRange(ph.firstTap, kh, sh), reversedRange(pw.firstTap, kw, sw));
      const { z, pad } = cropOrPad(dy, ph, pw);
      const phase = conv(z, taps, pad);
      cols.push(
        tf.pad(phase, [
          [0, 0],
          [0, hq - ph.count],
          [0, wq - pw.count],
          [0, 0],
        ]),
      );
    }
    // [n, hq, wq, sw, c] -> [n, hq, wq·sw, c]: columns of the sw phases interleave.
    rows.push(tf.reshape(tf.stack(cols, 3), [g.batch, hq, wq * sw, inChannels]) as tf.Tensor4D);
  }
  const interleaved = tf.reshape(tf.stack(rows, 2), [g.batch, hq * sh, wq * sw, inChannels]) as tf.Tensor4D;
  return tf.slice(interleaved, 0, [g.batch, g.inHeight, g.inWidth, inChannels]);
}
