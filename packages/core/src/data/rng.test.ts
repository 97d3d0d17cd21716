import { describe, expect, it } from 'vitest';
import { SeededRng } from './rng.js';

describe('SeededRng', () => {
  it('is reproducible from its seed and resumable from its state', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    const saved = a.state;
    const tail = Array.from({ length: 10 }, () => a.next());
    expect(Array.from({ length: 10 }, () => SeededRng.fromState(saved).next())[0]).toBe(tail[0]);
    const resumed = SeededRng.fromState(JSON.parse(JSON.stringify(saved)));
    expect(Array.from({ length: 10 }, () => resumed.next())).toEqual(tail);
    expect(new SeededRng(43).next()).not.toBe(first[0]);
  });

  it('draws uniformly in [0, 1) with the right mean and variance', () => {
    const rng = new SeededRng(7);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.next();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(0.005);
  });

  it('derive gives independent, key-addressed streams', () => {
    expect(SeededRng.derive(1, 2, 3).next()).toBe(SeededRng.derive(1, 2, 3).next());
    const firsts = new Set([
      SeededRng.derive(1, 2, 3).next(),
      SeededRng.derive(1, 3, 2).next(),
      SeededRng.derive(2, 2, 3).next(),
      SeededRng.derive(1, 2).next(),
    ]);
    expect(firsts.size).toBe(4);
  });

  it('permutation is a permutation, and int/bool/uniform stay in range', () => {
    const rng = new SeededRng(3);
    const p = rng.permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(5);
      expect(Number.isInteger(k) && k >= 0 && k < 5).toBe(true);
      const u = rng.uniform(-2, 3);
      expect(u >= -2 && u < 3).toBe(true);
    }
    expect(() => new SeededRng(0.5)).toThrow(/seed must be an integer/);
  });
});
