import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BoundaryCounts, type BoundaryScores, BoundaryF1Accumulator, boundaryF1 } from './boundary-f1.js';

// Written by scripts/fixtures/boundary_f1.py: an independent numpy + scipy
// (distance_transform_edt) implementation of the conventions. NaN is stored as null.
type Expected = {
  tolerance?: number;
  counts: Record<'predicted' | 'predictedMatched' | 'truth' | 'truthMatched', number[]>;
  perClassPrecision: (number | null)[];
  perClassRecall: (number | null)[];
  perClassF1: (number | null)[];
  meanF1: number | null;
};
type Image = { width: number; height: number; predicted: number[]; truth: number[]; ignoreIndex: number | null };
const fixture: {
  images: Image[];
  cases: { image: number; tolerance: number | null; numClasses: number; expected: Expected }[];
  split: { images: number[]; numClasses: number; tolerance: number; ignoreIndex: number; expected: Expected };
} = JSON.parse(readFileSync(new URL('../../fixtures/boundary-f1/boundary-f1.json', import.meta.url), 'utf8'));

function expectScores(actual: BoundaryScores & { counts: BoundaryCounts }, expected: Expected, what: string) {
  for (const key of ['predicted', 'predictedMatched', 'truth', 'truthMatched'] as const) {
    expect(Array.from(actual.counts[key]), `${what} ${key}`).toEqual(expected.counts[key]);
  }
  for (const key of ['perClassPrecision', 'perClassRecall', 'perClassF1'] as const) {
    actual[key].forEach((v, c) => {
      const e = expected[key][c];
      if (e === null) expect(v, `${what} ${key}[${c}]`).toBeNaN();
      else expect(v, `${what} ${key}[${c}]`).toBeCloseTo(e, 12);
    });
  }
  if (expected.meanF1 === null) expect(actual.meanF1).toBeNaN();
  else expect(actual.meanF1, `${what} meanF1`).toBeCloseTo(expected.meanF1, 12);
}

describe('boundaryF1', () => {
  it.each(fixture.cases.map((c) => [c.image, c.tolerance ?? 'default', c] as const))(
    'image %i, tolerance %s: equals the scipy reference',
    (_, __, { image, tolerance, numClasses, expected }) => {
      const { width, height, predicted, truth, ignoreIndex } = fixture.images[image];
      const r = boundaryF1(predicted, truth, width, height, { numClasses, ignoreIndex: ignoreIndex ?? undefined, ...(tolerance === null ? {} : { tolerance }) });
      expect(r.tolerance).toBeCloseTo(expected.tolerance!, 12);
      expectScores(r, expected, `image ${image}`);
    },
  );

  it('pools counts over a split in the accumulator, and merges accumulators into the same counts', () => {
    const { split } = fixture;
    const whole = new BoundaryF1Accumulator(split.numClasses, { tolerance: split.tolerance, ignoreIndex: split.ignoreIndex });
    const parts = [0, 1].map(() => new BoundaryF1Accumulator(split.numClasses, { tolerance: split.tolerance, ignoreIndex: split.ignoreIndex }));
    split.images.forEach((index, k) => {
      const { width, height, predicted, truth } = fixture.images[index];
      whole.update(predicted, truth, width, height);
      parts[k % 2].update(predicted, truth, width, height);
    });
    expectScores({ ...whole.scores(), counts: whole.counts }, split.expected, 'split');
    const merged = parts[0].merge(parts[1]);
    expect(merged.images).toBe(3);
    expectScores({ ...merged.scores(), counts: merged.counts }, split.expected, 'merged');
    // Excluded classes are NaN and left out of the mean.
    const noZero = whole.scores([0]);
    expect(noZero.perClassF1[0]).toBeNaN();
    const rest = split.expected.perClassF1.slice(1).filter((v): v is number => v !== null);
    expect(noZero.meanF1).toBeCloseTo(rest.reduce((a, b) => a + b, 0) / rest.length, 12);
    whole.reset();
    expect(whole.images).toBe(0);
    expect(whole.scores().meanF1).toBeNaN();
  });

  it('by hand: a square shifted by one pixel', () => {
    // 6×6, class 1 is a 2×2 square at (1..2, 1..2) in the truth and at (2..3, 1..2) in the prediction.
    const map = (x0: number) => Array.from({ length: 36 }, (_, i) => (i % 6 >= x0 && i % 6 < x0 + 2 && Math.floor(i / 6) >= 1 && Math.floor(i / 6) < 3 ? 1 : 0));
    const truth = map(1);
    const predicted = map(2);
    // Every square pixel is a boundary pixel (4 each); at tolerance 0 the shared column x = 2 matches (2 of 4).
    const exact = boundaryF1(predicted, truth, 6, 6, { tolerance: 0 });
    expect(Array.from(exact.counts.predicted)).toEqual([8, 4]);
    expect(exact.perClassPrecision[1]).toBe(0.5);
    expect(exact.perClassRecall[1]).toBe(0.5);
    // At 1 px every pixel has a partner.
    expect(boundaryF1(predicted, truth, 6, 6, { tolerance: 1 }).perClassF1).toEqual([1, 1]);
    // The default tolerance of a 6×6 image is 0.0075 · √72 ≈ 0.064 px: exact matches only.
    expect(boundaryF1(predicted, truth, 6, 6).perClassF1[1]).toBe(0.5);
  });

  it('removes ignored pixels from both maps: a wrong prediction on them changes nothing', () => {
    const truth = [0, 0, 9, 1, 1, 0, 0, 9, 1, 1];
    const right = [0, 0, 0, 1, 1, 0, 0, 0, 1, 1];
    const wrong = [0, 0, 1, 1, 1, 0, 0, 1, 1, 1];
    const a = boundaryF1(right, truth, 5, 2, { ignoreIndex: 9, numClasses: 2, tolerance: 0 });
    const b = boundaryF1(wrong, truth, 5, 2, { ignoreIndex: 9, numClasses: 2, tolerance: 0 });
    expect(b).toEqual(a);
    // The ignored column separates the classes: no boundary is left, so both classes are NaN.
    expect(a.perClassF1.every(Number.isNaN)).toBe(true);
  });

  it('names wrong sizes, ids and tolerances', () => {
    expect(() => boundaryF1([0, 1], [0, 1, 1], 3, 1)).toThrow(/a 3×1 image has 3 pixels, got 2 predicted and 3 ground-truth labels/);
    expect(() => boundaryF1([0, 7], [0, 1], 2, 1, { numClasses: 2 })).toThrow(/predicted id 7 at index 1 is outside 0..1/);
    expect(() => boundaryF1([0, 1], [0, 1.5], 2, 1, { numClasses: 2 })).toThrow(/ground-truth id 1.5 at index 1/);
    expect(() => boundaryF1([0, 1], [0, 1], 2, 1, { tolerance: -1 })).toThrow(/tolerance must be a distance in pixels ≥ 0, got -1/);
    expect(() => new BoundaryF1Accumulator(0)).toThrow(/positive integer, got 0/);
  });
});
