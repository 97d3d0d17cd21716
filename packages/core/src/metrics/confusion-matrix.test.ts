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
