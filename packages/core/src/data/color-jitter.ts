import type { Augmentation } from './augmentation.js';
import { checkRange } from './augmentation-checks.js';
import type { RgbImage } from './image.js';
import type { SeededRng } from './rng.js';

/** Options of {@link colorJitter}; a strength of 0 disables that adjustment. */
export interface ColorJitterOptions {
  /** Brightness factor drawn from [1 - brightness, 1 + brightness]. Default 0.25. */
  brightness?: number;
  /** Contrast factor drawn from [1 - contrast, 1 + contrast]. Default 0.25. */
  contrast?: number;
  /** Saturation factor drawn from [1 - saturation, 1 + saturation]. Default 0.25. */
  saturation?: number;
  /** Hue shift drawn from [-hue, hue] turns of the HSV colour circle (at most 0.5), as torchvision's. Default 0. */
  hue?: number;
}

/** @deprecated Renamed {@link ColorJitterOptions}. */
export type ColorJitterArgs = ColorJitterOptions;

type ColorOp = (data: Float32Array, rng: SeededRng) => void;

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/**
 * Randomly changes brightness, contrast, saturation and hue of the image, in
 * a random order as torchvision's `ColorJitter` does; labels are untouched.
 * Every adjustment is a per-pixel colour map (contrast uses the image's mean
 * luma), so equal input colours stay equal.
 */
export function colorJitter(args: ColorJitterOptions = {}): Augmentation {
  const brightness = args.brightness ?? 0.25;
  const contrast = args.contrast ?? 0.25;
  const saturation = args.saturation ?? 0.25;
  const hue = args.hue ?? 0;
  checkRange('colorJitter', 'brightness', brightness, 0, 1);
  checkRange('colorJitter', 'contrast', contrast, 0, 1);
  checkRange('colorJitter', 'saturation', saturation, 0, 1);
  checkRange('colorJitter', 'hue', hue, 0, 0.5);
  const ops: ColorOp[] = [];
  if (brightness > 0) ops.push((d, rng) => scaleAll(d, rng.uniform(1 - brightness, 1 + brightness)));
  if (contrast > 0) ops.push((d, rng) => adjustContrast(d, rng.uniform(1 - contrast, 1 + contrast)));
  if (saturation > 0) ops.push((d, rng) => adjustSaturation(d, rng.uniform(1 - saturation, 1 + saturation)));
  if (hue > 0) ops.push((d, rng) => shiftHue(d, rng.uniform(-hue, hue)));
  return (sample, rng) => {
    if (ops.length === 0) return sample;
    const order = rng.permutation(ops.length);
    const data = Float32Array.from(sample.image.data);
    for (const i of order) {
      ops[i](data, rng);
      clamp255(data);
    }
    const image: RgbImage = { data: new Uint8Array(data.length), width: sample.image.width, height: sample.image.height };
    for (let i = 0; i < data.length; i++) image.data[i] = (data[i] + 0.5) | 0;
    return { image, labels: sample.labels };
  };
}

function clamp255(d: Float32Array): void {
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < 0) d[i] = 0;
    else if (v > 255) d[i] = 255;
  }
}

function scaleAll(d: Float32Array, f: number): void {
  for (let i = 0; i < d.length; i++) d[i] *= f;
}

function adjustContrast(d: Float32Array, f: number): void {
  let mean = 0;
  for (let i = 0; i < d.length; i += 3) mean += luma(d[i], d[i + 1], d[i + 2]);
  mean /= d.length / 3;
  for (let i = 0; i < d.length; i++) d[i] = mean + (d[i] - mean) * f;
}

function adjustSaturation(d: Float32Array, f: number): void {
  for (let i = 0; i < d.length; i += 3) {
    const y = luma(d[i], d[i + 1], d[i + 2]);
    d[i] = y + (d[i] - y) * f;
    d[i + 1] = y + (d[i + 1] - y) * f;
    d[i + 2] = y + (d[i + 2] - y) * f;
  }
}

/**
 * Shifts the HSV hue of every pixel by `turns` of the colour circle, keeping
 * saturation and value: torchvision's `adjust_hue`, which the reference run's
 * `ColorJitter(hue=0.08)` applied. Greys have no hue and stay as they are.
 */
export function shiftHue(d: Float32Array, turns: number): void {
  for (let p = 0; p < d.length; p += 3) {
    const r = d[p];
    const g = d[p + 1];
    const b = d[p + 2];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    if (delta <= 0) continue;
    let h = max === r ? (g - b) / delta : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
    h = (h / 6 + turns) % 1;
    if (h < 0) h += 1;
    const h6 = h * 6;
    const sector = Math.floor(h6) % 6;
    const f = h6 - Math.floor(h6);
    // With s = delta / max: p = v(1 - s) = min, q = v(1 - s·f), t = v(1 - s(1 - f)).
    const q = max - delta * f;
    const t = min + delta * f;
    const [nr, ng, nb] =
      sector === 0 ? [max, t, min] : sector === 1 ? [q, max, min] : sector === 2 ? [min, max, t] : sector === 3 ? [min, q, max] : sector === 4 ? [t, min, max] : [max, min, q];
    d[p] = nr;
    d[p + 1] = ng;
    d[p + 2] = nb;
  }
}
