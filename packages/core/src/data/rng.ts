/**
 * A small, fast, seedable pseudo-random generator (mulberry32) whose whole
 * state is one 32-bit integer, so a training run can checkpoint it with
 * {@link SeededRng.state} and resume with {@link SeededRng.fromState}.
 * Not for cryptography.
 */
export class SeededRng {
  private s: number;

  /** @param seed Any integer; only its low 32 bits matter. */
  constructor(seed = 0) {
    if (!Number.isInteger(seed)) throw new Error(`SeededRng: seed must be an integer, got ${seed}`);
    // Mixing the seed first keeps nearby seeds (0, 1, 2) from giving correlated first draws.
    this.s = mix32(seed >>> 0);
  }

  /**
   * A generator for a sub-stream identified by `keys` (e.g. epoch and sample
   * index): the same keys always give the same stream, independently of how
   * many numbers other streams have drawn. This is what keeps prefetching
   * and parallel loading reproducible.
   */
  static derive(seed: number, ...keys: number[]): SeededRng {
    let h = mix32((seed >>> 0) ^ 0x9e3779b9);
    for (const k of keys) {
      if (!Number.isInteger(k)) throw new Error(`SeededRng.derive: keys must be integers, got ${k}`);
      h = mix32((h ^ (k >>> 0)) + 0x7f4a7c15);
    }
    return SeededRng.fromState(h);
  }

  /** Recreates a generator from a saved {@link SeededRng.state}. */
  static fromState(state: number): SeededRng {
    const rng = new SeededRng(0);
    rng.s = state >>> 0;
    return rng;
  }

  /** The current state: a uint32 that {@link SeededRng.fromState} turns back into this generator. */
  get state(): number {
    return this.s >>> 0;
  }

  /** A float uniformly distributed in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float uniformly distributed in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer uniformly distributed in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** `true` with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A uniformly random permutation of `0..n-1` (Fisher–Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}

/** A 32-bit finaliser (from murmur3) that spreads every input bit over the output. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
