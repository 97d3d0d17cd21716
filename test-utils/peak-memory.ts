import { expect } from 'vitest';

/**
 * Memory bounds for tests of readers fed hostile files: how much memory a
 * synchronous call took, transient allocations included where the process's
 * peak shows them.
 */

/** What {@link measurePeak} saw: the call's result or what it threw, and the memory it took. */
export interface PeakMeasurement<T> {
  value?: T;
  error?: Error;
  /**
   * Bytes the call took, the larger of two measures: how far it raised the
   * process's peak resident memory (`maxRSS`, which counts memory allocated
   * and freed inside the call), and how much more JavaScript heap and
   * external memory (array buffers) was in use after it than before (no
   * collection forced, so garbage of the call counts too). Both read low
   * only when the call stays below an earlier, higher peak and its garbage
   * was collected before it returned: the readers' unbounded costs were
   * gigabytes, far above any earlier peak of a test file.
   */
  peakGrowth: number;
}

const inUse = () => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** Runs `fn` synchronously and measures its memory (see {@link PeakMeasurement.peakGrowth}). */
export function measurePeak<T>(fn: () => T): PeakMeasurement<T> {
  const [peakBefore, inUseBefore] = [peakRss(), inUse()];
  const growth = () => Math.max(0, peakRss() - peakBefore, inUse() - inUseBefore);
  try {
    const value = fn();
    return { value, peakGrowth: growth() };
  } catch (error) {
    return { error: error as Error, peakGrowth: growth() };
  }
}

export const MiB = 2 ** 20;

/**
 * Asserts that `fn` throws `message` (a string: exactly it; a RegExp:
 * matching) while taking less than `bound` bytes (see {@link measurePeak}).
 */
export function expectRefusal(fn: () => unknown, message: string | RegExp, bound: number): void {
  const { error, peakGrowth } = measurePeak(fn);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(RangeError);
  if (typeof message === 'string') expect(error!.message).toBe(message);
  else expect(error!.message).toMatch(message);
  expect(peakGrowth).toBeLessThan(bound);
}
