import { describe, expect, it } from 'vitest';
import { type Augmentation, compose } from './augmentation.js';
import { gaussianBlur, randomGaussianBlur } from './blur.js';
import { colorJitter } from './color-jitter.js';
import { centerCrop, cropPadded, randomCrop } from './crop.js';
import { flipHorizontal, randomHorizontalFlip } from './flip.js';
import type { LabeledImage } from './image.js';
import { resizeImageBilinear, resizeLabelsNearest } from './resample.js';
import { SeededRng } from './rng.js';
import { randomRotation, rotateLabeled } from './rotation.js';
import { randomScale, resizeSample } from './scale.js';

const IGNORE = 21;
const FILL: [number, number, number] = [7, 9, 11];

/** A colour per label, all distinct; the ignore label gets the padding fill so padding is consistent too. */
function colorOf(label: number): [number, number, number] {
  if (label === IGNORE) return FILL;
  return [40 + label * 10, 250 - label * 11, (label * 97) % 200 + 30];
}

/**
 * A test image whose colours encode its labels: blocks of `block` pixels with
 * seeded labels in 0..21 (21 = ignore).
 */
function encodedSample(width: number, height: number, block: number, seed = 1): LabeledImage {
  const rng = new SeededRng(seed);
  const bw = Math.ceil(width / block);
  const blockLabels = Array.from({ length: bw * Math.ceil(height / block) }, () => rng.int(22));
  const labels = new Uint8Array(width * height);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = blockLabels[Math.floor(y / block) * bw + Math.floor(x / block)];
      labels[y * width + x] = l;
      data.set(colorOf(l), (y * width + x) * 3);
    }
  }
  return { image: { data, width, height }, labels };
}

/**
 * Checks that image colours still encode labels. Pixels within `radius` of a
 * label change are skipped: bilinear sampling (and blur) legitimately mixes the
 * colours of two regions there while nearest-neighbour labels pick one side.
 * Everywhere else the colour must be exactly the label's. Returns how many
 * pixels were checked, so callers can make sure the check was not vacuous.
 * `edgesUnknown` also skips pixels within `radius` of the frame, for pipelines
 * that blur before cropping: there the blur saw content the crop cut away.
 */
function expectAligned(sample: LabeledImage, radius: number, edgesUnknown = false): number {
  const { image, labels } = sample;
  const { width, height, data } = image;
  expect(data.length).toBe(width * height * 3);
  expect(labels.length).toBe(width * height);
  let checked = 0;
  const mismatches: string[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x];
      const nearEdge = x < radius || y < radius || x >= width - radius || y >= height - radius;
      if (edgesUnknown && nearEdge) continue;
      let uniform = true;
      for (let dy = -radius; dy <= radius && uniform; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const yy = Math.min(Math.max(y + dy, 0), height - 1);
          const xx = Math.min(Math.max(x + dx, 0), width - 1);
          if (labels[yy * width + xx] !== l) {
            uniform = false;
            break;
          }
        }
      }
      if (!uniform) continue;
      checked++;
      const o = (y * width + x) * 3;
      const want = colorOf(l);
      if (data[o] !== want[0] || data[o + 1] !== want[1] || data[o + 2] !== want[2]) {
        if (mismatches.length < 5) mismatches.push(`(${x},${y}) label ${l} colour ${[...data.subarray(o, o + 3)]}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
  return checked;
}

/** Byte equality without vitest's element-by-element diffing, which is slow on 100k-element arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function labelSet(labels: Uint8Array): Set<number> {
  return new Set(labels);
}

const input = encodedSample(160, 112, 32);

const geometric: [string, Augmentation, number, boolean?][] = [
  ['randomHorizontalFlip', randomHorizontalFlip({ probability: 1 }), 0],
  ['randomScale (down)', randomScale({ minScale: 0.5, maxScale: 0.8 }), 2],
  ['randomScale (up)', randomScale({ minScale: 1.2, maxScale: 2 }), 2],
  ['randomRotation', randomRotation({ ignoreIndex: IGNORE, maxDegrees: 30, fill: FILL }), 2],
  ['randomCrop (crop)', randomCrop({ size: 40, ignoreIndex: IGNORE, fill: FILL }), 0],
  ['randomCrop (pad)', randomCrop({ size: 192, ignoreIndex: IGNORE, fill: FILL }), 0],
  ['centerCrop', centerCrop({ size: 80, ignoreIndex: IGNORE, fill: FILL }), 0],
  ['resize', resizeSample({ width: 50, height: 70 }), 2],
  ['randomGaussianBlur', randomGaussianBlur({ probability: 1, minSigma: 0.5, maxSigma: 2 }), 7],
  [
    'compose (all geometric + blur)',
    compose([
      randomHorizontalFlip(),
      randomScale({ minScale: 0.75, maxScale: 1.5 }),
      randomRotation({ ignoreIndex: IGNORE, maxDegrees: 15, fill: FILL }),
      randomGaussianBlur({ probability: 1, minSigma: 0.3, maxSigma: 1.5 }),
      randomCrop({ size: 112, ignoreIndex: IGNORE, fill: FILL }),
    ]),
    // Blur radius ⌈3·1.5⌉ = 5 plus the resampling footprint.
    7,
    true,
  ],
];

describe('augmentations keep image and labels aligned', () => {
  for (const [name, aug, radius, edgesUnknown] of geometric) {
    it(`${name}: colours still encode labels, labels stay in the input's set, reproducible from the seed`, () => {
      const before = Uint8Array.from(input.image.data);
      const inputLabels = labelSet(input.labels);
      for (let seed = 0; seed < 4; seed++) {
        const out = aug(input, new SeededRng(seed));
        const checked = expectAligned(out, radius, edgesUnknown);
        expect(checked).toBeGreaterThan(out.labels.length * 0.1);
        for (const l of labelSet(out.labels)) expect(inputLabels.has(l) || l === IGNORE).toBe(true);
        const again = aug(input, new SeededRng(seed));
        expect(sameBytes(again.image.data, out.image.data)).toBe(true);
        expect(sameBytes(again.labels, out.labels)).toBe(true);
      }
      expect(sameBytes(input.image.data, before)).toBe(true);
    });
  }

  it('random ops differ across seeds', () => {
    const aug = compose([randomScale(), randomCrop({ size: 48, ignoreIndex: IGNORE })]);
    const a = aug(input, new SeededRng(1));
    const b = aug(input, new SeededRng(2));
    expect(sameBytes(a.labels, b.labels)).toBe(false);
  });

  it('colorJitter changes colours as a per-pixel map and leaves labels untouched', () => {
    const aug = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    for (let seed = 0; seed < 3; seed++) {
      const out = aug(input, new SeededRng(seed));
      expect(out.labels).toBe(input.labels);
      expect(sameBytes(out.image.data, input.image.data)).toBe(false);
      const mapped = new Map<number, number>();
      let conflicts = 0;
      const rgb = (d: Uint8Array, p: number) => (d[p * 3] << 16) | (d[p * 3 + 1] << 8) | d[p * 3 + 2];
      for (let p = 0; p < input.labels.length; p++) {
        const from = rgb(input.image.data, p);
        if (!mapped.has(from)) mapped.set(from, rgb(out.image.data, p));
        if (mapped.get(from) !== rgb(out.image.data, p)) conflicts++;
      }
      expect(conflicts).toBe(0);
      expect(sameBytes(aug(input, new SeededRng(seed)).image.data, out.image.data)).toBe(true);
    }
  });

  it('labels stay in 0..21 for MSRC-like inputs through the full training set of transforms', () => {
    const aug = compose([
      randomHorizontalFlip(),
      randomScale(),
      randomRotation({ ignoreIndex: IGNORE }),
      randomGaussianBlur(),
      colorJitter(),
      randomCrop({ size: 64, ignoreIndex: IGNORE }),
    ]);
    for (let seed = 0; seed < 8; seed++) {
      const out = aug(input, SeededRng.derive(3, seed));
      expect(out.image.width).toBe(64);
      expect(out.image.height).toBe(64);
      expect(Math.max(...out.labels)).toBeLessThanOrEqual(21);
    }
  });
});

describe('augmentation primitives (hand-computed)', () => {
  const tiny: LabeledImage = {
    image: { data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]), width: 3, height: 2 },
    labels: new Uint8Array([0, 1, 2, 3, 4, 5]),
  };

  it('flipHorizontal mirrors each row', () => {
    const out = flipHorizontal(tiny);
    expect([...out.labels]).toEqual([2, 1, 0, 5, 4, 3]);
    expect([...out.image.data]).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]);
  });

  it('resizeImageBilinear uses half-pixel centres like torch align_corners=False', () => {
    // torch: interpolate([[0, 100]], size=4, mode='bilinear', align_corners=False) = [0, 25, 75, 100]
    const img = { data: new Uint8Array([0, 0, 0, 100, 100, 100]), width: 2, height: 1 };
    expect([...resizeImageBilinear(img, 4, 1).data.filter((_, i) => i % 3 === 0)]).toEqual([0, 25, 75, 100]);
    // Downscaling 4 -> 2 averages pairs: sx = 0.5 and 2.5.
    const img4 = { data: new Uint8Array([0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]), width: 4, height: 1 };
    expect([...resizeImageBilinear(img4, 2, 1).data.filter((_, i) => i % 3 === 0)]).toEqual([5, 25]);
    expect([...resizeLabelsNearest(new Uint8Array([1, 2]), 2, 1, 4, 1)]).toEqual([1, 1, 2, 2]);
    expect([...resizeLabelsNearest(new Uint8Array([1, 2, 3, 4]), 4, 1, 2, 1)]).toEqual([2, 4]);
  });

  it('rotateLabeled by 90° turns a square counter-clockwise exactly', () => {
    const labels = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const data = Uint8Array.from({ length: 27 }, (_, i) => Math.floor(i / 3) * 10);
    const out = rotateLabeled({ image: { data, width: 3, height: 3 }, labels }, 90, FILL, IGNORE);
    expect([...out.labels]).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    expect([...out.image.data.filter((_, i) => i % 3 === 0)]).toEqual([20, 50, 80, 10, 40, 70, 0, 30, 60]);
    // 45° on a 4×4: corner centres sit 2.12 px from the centre, so they rotate to
    // y = 1.5 - 2.12 < -0.5, outside the source; the 2×2 middle stays inside.
    const labels4 = Uint8Array.from({ length: 16 }, (_, i) => i);
    const data4 = new Uint8Array(48).fill(100);
    const diag = rotateLabeled({ image: { data: data4, width: 4, height: 4 }, labels: labels4 }, 45, FILL, IGNORE);
    expect([0, 3, 12, 15].map((i) => diag.labels[i])).toEqual([21, 21, 21, 21]);
    expect([5, 6, 9, 10].every((i) => diag.labels[i] !== IGNORE && diag.image.data[i * 3] === 100)).toBe(true);
    expect([...diag.image.data.subarray(0, 3)]).toEqual(FILL);
  });

  it('cropPadded copies a window and pads outside with fill and ignoreIndex', () => {
    const out = cropPadded(tiny, -1, 0, 3, FILL, IGNORE);
    expect([...out.labels]).toEqual([21, 0, 1, 21, 3, 4, 21, 21, 21]);
    expect([...out.image.data.subarray(0, 9)]).toEqual([...FILL, 1, 2, 3, 4, 5, 6]);
  });

  it('gaussianBlur keeps a flat image flat and an impulse symmetric with its mass', () => {
    const flat = { data: new Uint8Array(5 * 5 * 3).fill(77), width: 5, height: 5 };
    expect(gaussianBlur(flat, 1.3).data.every((v) => v === 77)).toBe(true);
    const impulse = { data: new Uint8Array(9 * 9 * 3), width: 9, height: 9 };
    impulse.data.fill(255, (4 * 9 + 4) * 3, (4 * 9 + 4) * 3 + 3);
    const out = gaussianBlur(impulse, 0.8).data;
    const at = (x: number, y: number) => out[(y * 9 + x) * 3];
    expect(at(3, 4)).toBe(at(5, 4));
    expect(at(4, 3)).toBe(at(4, 5));
    expect(at(4, 4)).toBeGreaterThan(at(3, 4));
    const total = out.reduce((s, v, i) => (i % 3 === 0 ? s + v : s), 0);
    expect(Math.abs(total - 255)).toBeLessThanOrEqual(10);
  });

  it('rejects bad options with the op and option named', () => {
    expect(() => randomCrop({ size: 0, ignoreIndex: IGNORE })).toThrow(/randomCrop: size/);
    expect(() => randomRotation({ ignoreIndex: 300 })).toThrow(/randomRotation: ignoreIndex .*\[0, 255\]/);
    expect(() => randomScale({ minScale: 2, maxScale: 1 })).toThrow(/randomScale: maxScale/);
    expect(() => colorJitter({ hue: 0.7 })).toThrow(/colorJitter: hue must be in \[0, 0.5\]/);
  });
});
