import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from './confusion-matrix.js';

describe('ConfusionMatrix', () => {
  // Three classes + void (3). Truth/prediction pairs, by hand:
  //   class 0: 3 pixels, 2 right, 1 predicted 1
  //   class 1: 2 pixels, 1 right, 1 predicted void
  //   class 2: absent from the truth, predicted once on a void pixel
  //   void:    2 pixels, predicted 2 and 3
  const truth = [0, 0, 0, 1, 1, 3, 3];
  const pred = [0, 0, 1, 1, 3, 2, 3];

  it('counts rows as truth and columns as prediction, skipping the ignore index', () => {
    const m = new ConfusionMatrix(4, { ignoreIndex: 3 }).update(pred, truth);
    expect(Array.from(m.counts)).toEqual([2, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const s = m.scores([3]);
    // 3 of 5 counted pixels right.
    expect(s.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    // Recall: class 0 2/3, class 1 1/2; class 2 absent from truth is left out of the mean.
    expect(s.meanAccuracy).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
    // IoU: class 0 2/(3+2-2)=2/3; class 1 1/(2+2-1)=1/3.
    expect(s.perClassIoU[0]).toBeCloseTo(2 / 3, 12);
    expect(s.perClassIoU[1]).toBeCloseTo(1 / 3, 12);
    expect(s.meanIoU).toBeCloseTo(0.5, 12);
    expect(Number.isNaN(s.perClassIoU[2])).toBe(true);
  });

  it('counts void truth when it is not ignored, and excludes it on request', () => {
    const m = new ConfusionMatrix(4).update(pred, truth);
    const all = m.scores();
    expect(all.pixelAccuracy).toBeCloseTo(4 / 7, 12);
    // Class 2 is predicted once but never true: IoU 0, and it counts in the mean (its union is 1 pixel).
    // Class 3 (void, counted here): TP 1, FN 1 (predicted 2), FP 1 (a class-1 pixel) -> 1/3.
    expect(all.perClassIoU[2]).toBe(0);
    expect(all.perClassIoU[3]).toBeCloseTo(1 / 3, 12);
    expect(all.meanIoU).toBeCloseTo((2 / 3 + 1 / 3 + 0 + 1 / 3) / 4, 12);
    // Recall only averages classes with ground truth: 0, 1 and 3.
    expect(all.meanAccuracy).toBeCloseTo((2 / 3 + 1 / 2 + 1 / 2) / 3, 12);
    const noVoid = m.scores([3]);
    expect(noVoid.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(noVoid.meanIoU).toBeCloseTo(0.5, 12);
  });

  it('mIoU counts a class predicted but absent from the ground truth as 0 (FCN / mmsegmentation convention)', () => {
    // Truth has classes 0 and 1 only; one class-0 pixel is predicted as 2.
    //   class 0: TP 1, FN 1, FP 0 -> 1/2;  class 1: TP 2 -> 1;  class 2: TP 0, FP 1 -> 0.
    // Leaving class 2 out would report (1/2 + 1) / 2 = 0.75.
    const s = new ConfusionMatrix(4).update([0, 2, 1, 1], [0, 0, 1, 1]).scores();
    expect(s.perClassIoU.slice(0, 3)).toEqual([0.5, 1, 0]);
    expect(Number.isNaN(s.perClassIoU[3])).toBe(true);
    expect(s.meanIoU).toBeCloseTo(0.5, 12);
    // Pixels whose truth is excluded do not make a false positive: predicting 2 on void only is left out.
    const voidOnly = new ConfusionMatrix(4).update([0, 1, 2], [0, 1, 3]).scores([3]);
    expect(Number.isNaN(voidOnly.perClassIoU[2])).toBe(true);
    expect(voidOnly.meanIoU).toBe(1);
  });

  it('merges counts from several workers into the single-matrix result', () => {
    const whole = new ConfusionMatrix(4).update(pred, truth);
    const a = new ConfusionMatrix(4).update(pred.slice(0, 3), truth.slice(0, 3));
    const b = new ConfusionMatrix(4).update(pred.slice(3), truth.slice(3));
    expect(Array.from(a.merge(b).counts)).toEqual(Array.from(whole.counts));
  });

  it('names out-of-range ids and length mismatches', () => {
    const m = new ConfusionMatrix(3);
    expect(() => m.update([0, 5], [0, 1])).toThrow(/predicted id 5 at index 1 is outside 0..2/);
    expect(() => m.update([0], [0, 1])).toThrow(/1 predictions for 2 ground-truth pixels/);
    expect(() => m.update([0], [-1])).toThrow(/ground-truth id -1 at index 0/);
    expect(() => new ConfusionMatrix(0)).toThrow(/positive integer, got 0/);
  });
});

// Written by scripts/fixtures/scores.py: numpy from the formulas, and torchvision's
// reference-script ConfusionMatrix.compute() on the same counts. NaN is stored as null.
type Fixture = {
  numClasses: number;
  counts: number[];
  exclude: number[];
  expected: Record<string, number | null | (number | null)[]>;
  torchvision: { accGlobal: number; acc: (number | null)[]; iu: (number | null)[] } | null;
};
const fixtures: Fixture[] = JSON.parse(readFileSync(new URL('../../fixtures/scores/scores.json', import.meta.url), 'utf8'));

/** `actual` equals `expected` to 1e-12, NaN where the fixture holds null. */
function expectScore(actual: number | number[], expected: number | null | (number | null)[], what: string) {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected : [expected];
  expect(a.length, what).toBe(e.length);
  a.forEach((v, i) => {
    if (e[i] === null) expect(v, `${what}[${i}]`).toBeNaN();
    else expect(v, `${what}[${i}]`).toBeCloseTo(e[i]!, 12);
  });
}

describe('ConfusionMatrix.scores() against references', () => {
  const fromCounts = (f: Fixture) => {
    const m = new ConfusionMatrix(f.numClasses);
    m.counts.set(f.counts);
    return m;
  };

  it.each(fixtures.map((f, i) => [i, f] as const))('case %i: every score equals the numpy reference', (_, f) => {
    const s = fromCounts(f).scores(f.exclude);
    expect(Object.keys(s).sort()).toEqual(Object.keys(f.expected).sort());
    for (const [key, expected] of Object.entries(f.expected)) expectScore(s[key as keyof typeof s], expected, key);
  });

  it("matches torchvision's reference-script ConfusionMatrix (global accuracy, per-class accuracy, IoU) on the same counts", () => {
    const withTorchvision = fixtures.filter((f) => f.torchvision);
    expect(withTorchvision.length).toBeGreaterThan(4);
    for (const f of withTorchvision) {
      const s = fromCounts(f).scores();
      const tv = f.torchvision!;
      expectScore(s.pixelAccuracy, tv.accGlobal, 'acc_global');
      expectScore(s.perClassRecall, tv.acc, 'acc');
      expectScore(s.perClassIoU, tv.iu, 'iu');
    }
  });

  it('holds the identities F1 = 2·IoU / (1 + IoU) and F1 = 2PR / (P + R), and fwIoU lies within the IoU range', () => {
    for (const f of fixtures) {
      const s = fromCounts(f).scores(f.exclude);
      s.perClassF1.forEach((f1, c) => {
        const iou = s.perClassIoU[c];
        if (Number.isNaN(iou)) {
          expect(f1).toBeNaN();
          return;
        }
        expect(f1).toBeCloseTo((2 * iou) / (1 + iou), 12);
        const p = s.perClassPrecision[c];
        const r = s.perClassRecall[c];
        if (p + r > 0) expect(f1).toBeCloseTo((2 * p * r) / (p + r), 12);
      });
      const present = s.perClassIoU.filter((_, c) => s.perClassPixelShare[c] > 0);
      if (present.length) {
        expect(s.frequencyWeightedIoU).toBeGreaterThanOrEqual(Math.min(...present) - 1e-12);
        expect(s.frequencyWeightedIoU).toBeLessThanOrEqual(Math.max(...present) + 1e-12);
      }
    }
  });

  it('by hand: precision, recall, F1 and fwIoU of a three-class matrix with a class absent from the truth', () => {
    // Truth 0 0 0 1 1 1 1; prediction 0 0 1 1 1 1 2.
    // class 0: TP 2, FN 1, FP 0; class 1: TP 3, FN 1, FP 1; class 2: TP 0, FP 1, absent from the truth.
    const s = new ConfusionMatrix(3).update([0, 0, 1, 1, 1, 1, 2], [0, 0, 0, 1, 1, 1, 1]).scores();
    expect(s.perClassPrecision).toEqual([1, 3 / 4, 0]);
    expect(s.perClassRecall[0]).toBeCloseTo(2 / 3, 12);
    expect(s.perClassRecall[1]).toBeCloseTo(3 / 4, 12);
    expect(s.perClassRecall[2]).toBeNaN();
    expect(s.perClassF1[0]).toBeCloseTo(4 / 5, 12);
    expect(s.perClassF1[1]).toBeCloseTo(6 / 8, 12);
    expect(s.perClassF1[2]).toBe(0);
    expect(s.meanF1).toBeCloseTo((4 / 5 + 6 / 8 + 0) / 3, 12);
    // IoU 2/3 and 3/5 weighted by 3/7 and 4/7; class 2 weighs nothing.
    expect(s.frequencyWeightedIoU).toBeCloseTo((3 / 7) * (2 / 3) + (4 / 7) * (3 / 5), 12);
    expect(s.perClassPixelShare).toEqual([3 / 7, 4 / 7, 0]);
  });
});
