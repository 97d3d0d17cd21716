import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration.js';
import { createBatchProgress } from './progress.js';

describe('batch progress without a terminal', () => {
  it('prints a plain line at most once per interval and at the end, without control codes', () => {
    let clock = 0;
    const written: string[] = [];
    const display = createBatchProgress({ sink: { isTTY: false, write: (t) => written.push(t) }, plainEveryMs: 30_000, now: () => clock });
    // An image every 2 s: a line is due at 30 s (image 15) and 60 s (image 30), and one for the last.
    for (let done = 1; done <= 40; done++) {
      clock += 2000;
      display.update({ total: 40, done, segmented: done - Math.floor(done / 10), skipped: 0, failed: Math.floor(done / 10), imagesPerSecond: 0.5, etaSeconds: (40 - done) * 2 });
    }
    display.log('failed: ImageReadError: x.jpg: not a decodable image');
    display.stop();
    expect(written).toEqual([
      'progress: images 15/40, 0.50 img/s, 1 failed, ETA 50s\n',
      'progress: images 30/40, 0.50 img/s, 3 failed, ETA 20s\n',
      'progress: images 40/40, 0.50 img/s, 4 failed, ETA 0s\n',
      'failed: ImageReadError: x.jpg: not a decodable image\n',
    ]);
  });

  it('formats durations', () => {
    expect([formatDuration(42.4), formatDuration(185), formatDuration(3720), formatDuration(Number.NaN)]).toEqual(['42s', '3m05s', '1h02m', '?']);
  });
});
