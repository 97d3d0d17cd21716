import { describe, expect, it } from 'vitest';
import { createProgress } from './training-progress.js';

describe('progress without a TTY', () => {
  it('prints plain lines with iteration, it/s, smoothed loss and ETA, at most once per interval and at the end', () => {
    let clock = 0;
    const written: string[] = [];
    const logged: string[] = [];
    const p = createProgress({
      total: 100,
      start: 20,
      sink: { isTTY: false, write: (t) => written.push(t) },
      log: (l) => logged.push(l),
      plainEveryMs: 10_000,
      now: () => clock,
    });
    // One step every 500 ms: 2 it/s; after 20 steps a line is due (10 s).
    for (let step = 21; step <= 40; step++) {
      clock += 500;
      p.tick(step, 2);
    }
    expect(written).toEqual(['progress: iteration 40/100, 2.00 it/s, loss 2.0000 (smoothed), ETA 30s\n']);
    p.log('Iteration: 40, TrainLoss: 2');
    expect(logged).toEqual(['Iteration: 40, TrainLoss: 2']);
    // The smoothed loss moves 5% of the way towards each new value.
    clock += 500;
    p.tick(41, 4);
    expect(written).toHaveLength(1);
    for (let step = 42; step <= 100; step++) {
      clock += 500;
      p.tick(step, 2.1);
    }
    // Lines at 10 s intervals (steps 60, 80) and the last step.
    const lines = written.filter((l) => l.startsWith('progress:'));
    expect(lines.map((l) => l.match(/iteration (\d+)/)![1])).toEqual(['40', '60', '80', '100']);
    expect(lines.at(-1)).toMatch(/ETA 0s/);
    // 2 + 0.05 · (4 - 2) = 2.1, then steady at 2.1.
    expect(lines[1]).toMatch(/loss 2\.1000/);
    expect(written.join('').includes('\u001b')).toBe(false);
    p.stop();
  });
});
