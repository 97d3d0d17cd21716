import type { Augmentation } from './augmentation.js';
import { checkRange } from './augmentation-checks.js';
import type { RgbImage } from './image.js';

/** Options of {@link randomGaussianBlur}. */
export interface RandomGaussianBlurOptions {
  /** Probability of blurring a sample. Default 0.5. */
  probability?: number;
  /** Smallest standard deviation, in pixels; 0 allowed (no blur). Default 0.1. */
  minSigma?: number;
  /** Largest standard deviation, in pixels. Default 2. */
  maxSigma?: number;
}

/** @deprecated Renamed {@link RandomGaussianBlurOptions}. */
export type RandomGaussianBlurArgs = RandomGaussianBlurOptions;

/** Below this the kernel's side taps weigh under e^-5000: the blur is the identity. */
const MIN_SIGMA = 0.01;

/**
 * Blurs an image with a Gaussian of standard deviation `sigma` (kernel radius
 * ⌈3σ⌉, edges clamped), separably: two 1-D passes instead of one 2-D one.
 * A `sigma` under 0.01 returns a copy.
 */
export function gaussianBlur(image: RgbImage, sigma: number): RgbImage {
  const { data, width, height } = image;
  if (sigma < MIN_SIGMA) return { data: Uint8Array.from(data), width, height };
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = 2 * radius + 1;
  const kernel = new Float32Array(taps);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
    sum += kernel[i + radius];
  }
  for (let i = 0; i < taps; i++) kernel[i] /= sum;
  // Clamped source offsets per output position and tap, computed once so the
  // inner loops carry no edge branches.
  const offsets = (n: number, step: number) => {
    const table = new Int32Array(n * taps);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < taps; k++) table[i * taps + k] = Math.min(Math.max(i + k - radius, 0), n - 1) * step;
    }
    return table;
  };
  const xOff = offsets(width, 3);
  const yOff = offsets(height, width * 3);
  const tmp = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const t = x * taps;
      for (let k = 0; k < taps; k++) {
        const s = row + xOff[t + k];
        const w = kernel[k];
        r += data[s] * w;
        g += data[s + 1] * w;
        b += data[s + 2] * w;
      }
      const o = row + x * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const t = y * taps;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const col = x * 3;
      for (let k = 0; k < taps; k++) {
        const s = yOff[t + k] + col;
        const w = kernel[k];
        r += tmp[s] * w;
        g += tmp[s + 1] * w;
        b += tmp[s + 2] * w;
      }
      const o = (y * width + x) * 3;
      out[o] = (r + 0.5) | 0;
      out[o + 1] = (g + 0.5) | 0;
      out[o + 2] = (b + 0.5) | 0;
    }
  }
  return { data: out, width, height };
}

/** Blurs the image (labels untouched) with probability `probability` and a random sigma. */
export function randomGaussianBlur(args: RandomGaussianBlurOptions = {}): Augmentation {
  const probability = args.probability ?? 0.5;
  const minSigma = args.minSigma ?? 0.1;
  const maxSigma = args.maxSigma ?? 2;
  checkRange('randomGaussianBlur', 'probability', probability, 0, 1);
  checkRange('randomGaussianBlur', 'minSigma', minSigma, 0, 50);
  checkRange('randomGaussianBlur', 'maxSigma', maxSigma, minSigma, 50);
  return (sample, rng) => {
    if (!rng.bool(probability)) return sample;
    return { image: gaussianBlur(sample.image, rng.uniform(minSigma, maxSigma)), labels: sample.labels };
  };
}
