import { describe, expect, it } from 'vitest';
import { type Augmentation, compose, oneOf, randomApply } from './augmentation.js';
import { gaussianBlur, randomGaussianBlur } from './blur.js';
import { colorJitter, shiftHue } from './color-jitter.js';
import { centerCrop, cropPadded, randomCrop } from './crop.js';
import { flipHorizontal, randomHorizontalFlip } from './flip.js';
import type { LabeledImage } from './image.js';
import { resizeImageBilinear, resizeLabelsNearest } from './resample.js';
import { SeededRng } from './rng.js';
import { randomRotation, rotateLabeled } from './rotation.js';
import { randomScale, resizeSample } from './scale.js';
import { randomScaledCrop, scaledCrop } from './scaled-crop.js';

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
  // Zooming crops source content away: a frame pixel may blend with a region just outside the frame.
  ['randomRotation (zoom 1.6)', randomRotation({ ignoreIndex: IGNORE, maxDegrees: 5, zoom: 1.6, fill: FILL }), 2, true],
  ['randomScaledCrop', randomScaledCrop({ minScale: 1, maxScale: 2.5 }), 2, true],
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

describe("the reference MSRC run's augmentations", () => {
  it('rotation with zoom ×1.6 up to ±5° leaves no void corner on MSRC-shaped images (landscape and portrait)', () => {
    for (const [w, h] of [[320, 213], [213, 320]]) {
      const sample = encodedSample(w, h, 40, 5);
      // Labels without void, so any void in the output was brought in by the rotation.
      sample.labels.forEach((l, i) => {
        if (l === IGNORE) sample.labels[i] = 0;
      });
      for (const degrees of [-5, -2.5, 0, 2.5, 5]) {
        const out = rotateLabeled(sample, degrees, FILL, IGNORE, 1.6);
        expect(out.image.width).toBe(w);
        expect(out.image.height).toBe(h);
        expect(out.labels.includes(IGNORE)).toBe(false);
      }
      // Without the zoom the same rotation does bring void in at the corners.
      expect(rotateLabeled(sample, 5, FILL, IGNORE, 1).labels[0]).toBe(IGNORE);
    }
  });

  it('rotateLabeled zooms about the centre: ×2 at 0° shows the middle 2×2 of a 4×4 doubled', () => {
    // Output x reads the source at 1.5 + (x - 1.5) / 2 = 0.75, 1.25, 1.75, 2.25.
    const labels = Uint8Array.from({ length: 16 }, (_, i) => i);
    const data = Uint8Array.from({ length: 48 }, (_, i) => (Math.floor(i / 3) % 4) * 10);
    const out = rotateLabeled({ image: { data, width: 4, height: 4 }, labels }, 0, FILL, IGNORE, 2);
    expect([...out.labels]).toEqual([5, 5, 6, 6, 5, 5, 6, 6, 9, 9, 10, 10, 9, 9, 10, 10]);
    // Bilinear between 10 and 20 at 0.75 → 7.5, 12.5, 17.5, 22.5, rounded half up.
    expect([...out.image.data.subarray(0, 12).filter((_, i) => i % 3 === 0)]).toEqual([8, 13, 18, 23]);
  });

  it('scaledCrop equals resize then crop (torch align_corners=False) and keeps the size', () => {
    // [0, 100] widened ×2 is [0, 25, 75, 100]; the window at 1 is [25, 75]; labels [1, 1, 2, 2] → [1, 2].
    const img = { image: { data: new Uint8Array([0, 0, 0, 100, 100, 100]), width: 2, height: 1 }, labels: new Uint8Array([1, 2]) };
    const out = scaledCrop(img, 2, 1, 1, 0);
    expect([...out.image.data.filter((_, i) => i % 3 === 0)]).toEqual([25, 75]);
    expect([...out.labels]).toEqual([1, 2]);
    // Independent x/y scales: ⌊3·1.5⌋ = 4 wide, ⌊2·2.2⌋ = 4 high; the same pixels as resizeImageBilinear gives.
    const sample = encodedSample(3, 2, 1, 9);
    const big = resizeImageBilinear(sample.image, 4, 4);
    const cut = scaledCrop(sample, 1.5, 2.2, 1, 2);
    expect(cut.image.width).toBe(3);
    expect(cut.image.height).toBe(2);
    const expected = [];
    for (let y = 2; y < 4; y++) for (let x = 1; x < 4; x++) expected.push(...big.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3));
    expect([...cut.image.data]).toEqual(expected);
    expect(() => scaledCrop(sample, 0.9, 1, 0, 0)).toThrow(/scaledCrop: scales must be >= 1/);
    expect(() => scaledCrop(sample, 1, 1, 1, 0)).toThrow(/3×2 window at \(1, 0\) leaves the 3×2 enlarged image/);
  });

  it('randomScaledCrop keeps the size, brings in no void, and stretches x and y independently within [1, 2.5)', () => {
    // Checkerboard of 4-px cells: label bit 0 flips every 4 columns, bit 1 every 4 rows, so the stretch
    // of each axis shows as the mean run length of its bit divided by 4.
    const n = 80;
    const labels = Uint8Array.from({ length: n * n }, (_, i) => (Math.floor((i % n) / 4) % 2) + 2 * (Math.floor(Math.floor(i / n) / 4) % 2));
    const sample = { image: { data: new Uint8Array(n * n * 3).fill(50), width: n, height: n }, labels };
    const meanRun = (values: number[]) => {
      let runs = 1;
      for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) runs++;
      // The two end runs are cut by the crop: count the inner ones only.
      return runs > 2 ? (values.length - values.indexOf(values.find((v) => v !== values[0])!) - [...values].reverse().findIndex((v) => v !== values.at(-1))) / (runs - 2) : values.length;
    };
    const ratios: number[] = [];
    for (let seed = 0; seed < 16; seed++) {
      const out = randomScaledCrop()(sample, new SeededRng(seed));
      expect([out.image.width, out.image.height]).toEqual([n, n]);
      expect(out.labels.includes(IGNORE)).toBe(false);
      const sx = meanRun(Array.from({ length: n }, (_, x) => out.labels[40 * n + x] & 1)) / 4;
      const sy = meanRun(Array.from({ length: n }, (_, y) => out.labels[y * n + 40] >> 1)) / 4;
      for (const scale of [sx, sy]) {
        expect(scale).toBeGreaterThan(0.9);
        expect(scale).toBeLessThan(2.6);
      }
      ratios.push(sx / sy);
    }
    // One factor for both axes would keep every ratio at 1.
    expect(Math.max(...ratios) / Math.min(...ratios)).toBeGreaterThan(1.5);
  });

  it('gaussianBlur with sigma 0 (the reference radius U[0, 1) can draw it) returns the image unchanged', () => {
    const out = gaussianBlur(input.image, 0);
    expect(sameBytes(out.data, input.image.data)).toBe(true);
    expect(out.data).not.toBe(input.image.data);
    expect(() => randomGaussianBlur({ minSigma: 0, maxSigma: 1 })).not.toThrow();
  });

  it('shiftHue turns the HSV colour circle: red → green at +1/3, → blue at -1/3; greys stay', () => {
    const px = (rgb: number[], turns: number) => {
      const d = Float32Array.from(rgb);
      shiftHue(d, turns);
      return [...d].map((v) => Math.round(v));
    };
    expect(px([255, 0, 0], 1 / 3)).toEqual([0, 255, 0]);
    expect(px([255, 0, 0], -1 / 3)).toEqual([0, 0, 255]);
    // Orange (h = 30°) by half a turn: its complement, azure (210°), same saturation and value.
    expect(px([255, 128, 0], 0.5)).toEqual([0, 127, 255]);
    expect(px([90, 90, 90], 0.2)).toEqual([90, 90, 90]);
    // A full turn is the identity.
    expect(px([12, 200, 77], 1)).toEqual([12, 200, 77]);
  });

  it('randomApply and oneOf draw their choice from the generator', () => {
    const mark: Augmentation = (s) => ({ image: s.image, labels: s.labels.map(() => 1) });
    const other: Augmentation = (s) => ({ image: s.image, labels: s.labels.map(() => 2) });
    expect(randomApply(mark, 0)(input, new SeededRng(1))).toBe(input);
    expect(randomApply(mark, 1)(input, new SeededRng(1)).labels[0]).toBe(1);
    const picked = new Set(Array.from({ length: 16 }, (_, seed) => oneOf([mark, other])(input, new SeededRng(seed)).labels[0]));
    expect([...picked].sort()).toEqual([1, 2]);
    expect(() => oneOf([])).toThrow(/oneOf: give at least one/);
    expect(() => randomApply(mark, 2)).toThrow(/randomApply: probability must be in \[0, 1\], got 2/);
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
