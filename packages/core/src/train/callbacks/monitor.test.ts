import { describe, expect, it } from 'vitest';
import { Monitor } from './monitor.js';

describe('Monitor', () => {
  it('counts an improvement by mode and minDelta; the first score always, NaN never', () => {
    const max = new Monitor('X', { monitor: 'iou', minDelta: 0.1 });
    expect(max.improves(Number.NaN)).toBe(false);
    expect(max.improves(-5)).toBe(true);
    max.record(0.5, 2);
    // 0.5 + 0.1 = 0.6 is not beaten by 0.6 itself, only by more.
    expect([0.4, 0.55, 0.6, 0.61].map((s) => max.improves(s))).toEqual([false, false, false, true]);
    const min = new Monitor('X', { monitor: 'loss', mode: 'min' });
    min.record(1, 1);
    expect([1.1, 1, 0.99].map((s) => min.improves(s))).toEqual([false, false, true]);
    expect(min.best).toEqual({ score: 1, step: 1 });
  });

  it('names the missing score and the scores there are', () => {
    const m = new Monitor('EarlyStopping', { monitor: 'iou' });
    expect(m.score({ iou: 0.3 })).toBe(0.3);
    expect(() => m.score({ loss: 1, acc: 2 })).toThrow('EarlyStopping: monitored score "iou" is missing; the evaluation returned loss, acc');
  });

  it('validates its options, naming the value', () => {
    expect(() => new Monitor('X', { monitor: '' })).toThrow('X: monitor must name an evaluation score, got ""');
    expect(() => new Monitor('X', { monitor: 'a', mode: 'up' as 'max' })).toThrow(`X: mode must be 'max' or 'min', got "up"`);
    expect(() => new Monitor('X', { monitor: 'a', minDelta: -1 })).toThrow('X: minDelta must be a number >= 0, got -1');
  });

  it('round-trips its state and refuses one of another score, mode or shape', () => {
    const a = new Monitor('X', { monitor: 'iou' });
    a.record(0.7, 4);
    const b = new Monitor('X', { monitor: 'iou' });
    b.checkState(a.state(), 'ckpt: sections.x');
    b.setState(a.state());
    expect(b.best).toEqual({ score: 0.7, step: 4 });
    expect(() => new Monitor('X', { monitor: 'iou', mode: 'min' }).checkState(a.state(), 'ckpt: sections.x')).toThrow(
      `ckpt: sections.x: the checkpoint's X watched max "iou", this X watches min "iou"; keep monitor and mode when resuming, or start a new run`,
    );
    expect(() => b.checkState({ ...a.state(), best: 'x' }, 'ckpt: sections.x')).toThrow('ckpt: sections.x.best: expected a number or null, got "x"');
    expect(() => b.checkState(3, 'ckpt: sections.x')).toThrow('ckpt: sections.x: expected the X state as a JSON object, got 3');
  });
});
