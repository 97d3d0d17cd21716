import type { LabeledImage, RgbImage } from './image.js';

/**
 * Writes at `out[o..o+2]` the bilinear blend of the RGB pixels at byte
 * offsets `a` (top left), `b` (top right), `c` (bottom left), `d` (bottom
 * right) with weights `fx`, `fy`, rounded to the nearest byte. Channels are
 * unrolled and rounded with `+ 0.5 | 0`: this is the innermost loop of every
 * augmentation; V8 inlines the call.
 */
function blendRgb(
  src: Uint8Array,
  a: number,
  b: number,
  c: number,
  d: number,
  fx: number,
  fy: number,
  out: Uint8Array,
  o: number,
): void {
  let top = src[a] + (src[b] - src[a]) * fx;
  out[o] = (top + (src[c] + (src[d] - src[c]) * fx - top) * fy + 0.5) | 0;
  top = src[a + 1] + (src[b + 1] - src[a + 1]) * fx;
  out[o + 1] = (top + (src[c + 1] + (src[d + 1] - src[c + 1]) * fx - top) * fy + 0.5) | 0;
  top = src[a + 2] + (src[b + 2] - src[a + 2]) * fx;
  out[o + 2] = (top + (src[c + 2] + (src[d + 2] - src[c + 2]) * fx - top) * fy + 0.5) | 0;
}

/**
 * Resizes an image bilinearly with half-pixel centres and edge clamping, the
 * sampling of PyTorch's `interpolate(mode='bilinear', align_corners=False)`
 * without antialiasing.
 */
export function resizeImageBilinear(image: RgbImage, width: number, height: number): RgbImage {
  const { data: src, width: sw, height: sh } = image;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(Math.max(((x + 0.5) * sw) / width - 0.5, 0), sw - 1);
    const x0 = Math.floor(sx);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, sw - 1) * 3;
    fxs[x] = sx - x0;
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * sh) / height - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const r0 = y0 * sw * 3;
    const r1 = Math.min(y0 + 1, sh - 1) * sw * 3;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const a = r0 + x0s[x];
      const b = r0 + x1s[x];
      const c = r1 + x0s[x];
      const d = r1 + x1s[x];
      const fx = fxs[x];
      blendRgb(src, a, b, c, d, fx, fy, out, o);
    }
  }
  return { data: out, width, height };
}

/**
 * Resizes a label map by nearest neighbour, picking the source pixel whose
 * centre is closest to the output pixel's centre, so labels land where
 * {@link resizeImageBilinear} puts the image content.
 */
export function resizeLabelsNearest(labels: Uint8Array, sw: number, sh: number, width: number, height: number): Uint8Array {
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.floor(((x + 0.5) * sw) / width), sw - 1);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.min(Math.floor(((y + 0.5) * sh) / height), sh - 1) * sw;
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = labels[row + xs[x]];
  }
  return out;
}

/** Resizes an image (bilinear) and its labels (nearest) to `width`×`height`. */
export function resizeLabeledImage(sample: LabeledImage, width: number, height: number): LabeledImage {
  const { image, labels } = sample;
  return {
    image: resizeImageBilinear(image, width, height),
    labels: resizeLabelsNearest(labels, image.width, image.height, width, height),
  };
}

/**
 * Resamples through an affine map: output pixel (x, y) reads the source at
 * pixel coordinates `(m[0]x + m[1]y + m[2], m[3]x + m[4]y + m[5])`. A pixel is
 * inside the source when that point lies within the source's pixel squares;
 * one test decides it for both image and labels, so fill colour and
 * `ignoreIndex` always cover the same pixels.
 */
export function warpAffine(
  sample: LabeledImage,
  m: readonly number[],
  width: number,
  height: number,
  fill: readonly number[],
  ignoreIndex: number,
): LabeledImage {
  const { data: src, width: sw, height: sh } = sample.image;
  const srcLabels = sample.labels;
  const out = new Uint8Array(width * height * 3);
  const outLabels = new Uint8Array(width * height);
  const [f0, f1, f2] = fill;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = m[0] * x + m[1] * y + m[2];
      const sy = m[3] * x + m[4] * y + m[5];
      const p = y * width + x;
      const o = p * 3;
      if (!(sx >= -0.5 && sx < sw - 0.5 && sy >= -0.5 && sy < sh - 0.5)) {
        out[o] = f0;
        out[o + 1] = f1;
        out[o + 2] = f2;
        outLabels[p] = ignoreIndex;
        continue;
      }
      outLabels[p] = srcLabels[Math.floor(sy + 0.5) * sw + Math.floor(sx + 0.5)];
      const cx = Math.min(Math.max(sx, 0), sw - 1);
      const cy = Math.min(Math.max(sy, 0), sh - 1);
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const fx = cx - x0;
      const fy = cy - y0;
      const a = (y0 * sw + x0) * 3;
      const b = (y0 * sw + Math.min(x0 + 1, sw - 1)) * 3;
      const c = (Math.min(y0 + 1, sh - 1) * sw + x0) * 3;
      const d = (Math.min(y0 + 1, sh - 1) * sw + Math.min(x0 + 1, sw - 1)) * 3;
      blendRgb(src, a, b, c, d, fx, fy, out, o);
    }
  }
  return { image: { data: out, width, height }, labels: outLabels };
}
