import * as tf from '@tensorflow/tfjs-core';

/** AdamOptimizer's state, private in its typings. */
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  /** Steps taken (restored by `setWeights`). */
  iterations_: number;
  incrementIterations(): void;
}

/**
 * Whether `optimizer` keeps Adam's running powers β₁ᵗ, β₂ᵗ (tfjs's Adam,
 * {@link Adam}, `AdamW`). Not `instanceof tf.AdamOptimizer`: tfjs's
 * `Optimizer[Symbol.hasInstance]` only checks for the optimizer methods, so
 * every optimizer (SGD, momentum, …) passes it.
 */
export function keepsAdamBetaPowers(optimizer: tf.Optimizer): optimizer is tf.AdamOptimizer {
  const s = optimizer as unknown as Partial<AdamFields>;
  return s.accBeta1 instanceof tf.Variable && s.accBeta2 instanceof tf.Variable;
}

/**
 * Sets an Adam optimizer's running powers β₁ᵗ⁺¹ and β₂ᵗ⁺¹ (its bias
 * corrections) after `setWeights` to the values the run itself had: the run
 * multiplies them by β once per step, rounding to float32 each time, while
 * tfjs's `setWeights` recomputes them with one `pow(β, t + 1)`, which lands
 * an ulp or more away (webgpu evaluates pow as exp(y·log x)); a resumed run
 * then leaves the uninterrupted one at its first update. The product is
 * replayed here with `Math.fround`, which is what every backend computes
 * step by step: float32 multiplication is correctly rounded on each (IEEE
 * 754 on the CPU backends, required of WGSL's `*`).
 */
export function replayAdamBetaPowers(optimizer: tf.AdamOptimizer): void {
  const s = optimizer as unknown as AdamFields;
  const power = (beta: number) => {
    const b = Math.fround(beta);
    let p = b;
    for (let i = 0; i < s.iterations_; i++) p = Math.fround(p * b);
    return p;
  };
  tf.tidy(() => {
    s.accBeta1.assign(tf.scalar(power(s.beta1)));
    s.accBeta2.assign(tf.scalar(power(s.beta2)));
  });
}

/** Elements updated by one fused set of kernels: large enough to amortise dispatch, small enough for few-MB temporaries. */
const CHUNK_ELEMENTS = 1 << 22;

/** Consecutive variables whose moments are kept as one flat tensor. */
interface Chunk {
  names: string[];
  sizes: number[];
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * tfjs's Adam — same update, same `getWeights()`/`setWeights()` layout (one
 * `…/m` and one `…/v` tensor per variable, in order), so checkpoints of
 * either load into the other — with its moments kept flat.
 *
 * Why: `tf.AdamOptimizer.applyGradients` runs 14 kernels per variable in one
 * `tidy`, so a ResNet-101 DeepLabV3+ step dispatched ~4,000 kernels for the
 * update alone and kept eight copies of the weights alive at its end (the
 * peak of the whole step, bench/README.md). Here consecutive variables share
 * flat moment tensors of up to 4M elements: the update runs its 14 kernels
 * once per chunk on the concatenated gradients, and each chunk's
 * temporaries are freed before the next.
 */
export class Adam extends tf.AdamOptimizer {
  private chunks: Chunk[] | null = null;
  /** Moments handed to `setWeights` before the first step laid out the chunks. */
  private pending: tf.Tensor[] | null = null;

  /**
   * @param learningRate Step size. Default 1e-3.
   * @param beta1 Decay of the first-moment estimate. Default 0.9.
   * @param beta2 Decay of the second-moment estimate. Default 0.999.
   * @param epsilon Added to the denominator. Default: the backend's epsilon (as `tf.train.adam`).
   */
  constructor(learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon as number);
  }

  /**
   * One Adam step for every variable of `variableGradients`; every call must
   * name the same variables in the same order (as `Trainer` does).
   *
   * @throws If a gradient is missing, or the variables differ from the first call's.
   */
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0] | tf.NamedTensorMap): void {
    const s = this as unknown as AdamFields;
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const missing = list.filter((g) => g.tensor == null).map((g) => g.name);
    if (missing.length > 0) throw new Error(`Adam: no gradient for ${missing.join(', ')}; give one for every variable`);
    const chunks = this.layout(list.map((g) => g.name));
    // Per-variable copies made by getWeights() or setWeights() are stale from here on.
    this.dropPerVariable(s);
    const values = list.map(({ name }) => tf.engine().registeredVariables[name]);
    const [biasM, biasV] = tf.tidy(() => [tf.sub(1, s.accBeta1), tf.sub(1, s.accBeta2)]);
    let next = 0;
    for (const chunk of chunks) {
      const at = next;
      next += chunk.names.length;
      this.updateChunk(s, chunk, list.slice(at, next).map((e) => e.tensor), values.slice(at, next), biasM, biasV);
    }
    tf.dispose([biasM, biasV]);
    tf.tidy(() => {
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  }

  /**
   * tfjs's update, kernel for kernel, on one chunk. Temporaries are freed as
   * soon as the next one exists (nested tidies), so at most about four
   * chunk-sized tensors live at once.
   */
  private updateChunk(s: AdamFields, chunk: Chunk, grads: tf.Tensor[], values: tf.Variable[], biasM: tf.Tensor, biasV: tf.Tensor): void {
    // Vectors (biases, BN scales) need no reshape: each Reshape is a kernel dispatch too.
    const vector = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [-1]));
    const flat = (ts: tf.Tensor[]) => tf.tidy(() => (ts.length === 1 ? vector(ts[0]).clone() : tf.concat(ts.map(vector))));
    const g = flat(grads);
    const newM = tf.tidy(() => tf.add(tf.mul(chunk.m, s.beta1), tf.mul(g, 1 - s.beta1)));
    const newV = tf.tidy(() => tf.add(tf.mul(chunk.v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2)));
    g.dispose();
    chunk.m.assign(newM);
    chunk.v.assign(newV);
    const mHat = tf.div(newM, biasM);
    const denominator = tf.tidy(() => tf.add(tf.sqrt(tf.div(newV, biasV)), s.epsilon));
    tf.dispose([newM, newV]);
    const step = tf.tidy(() => tf.mul(tf.div(mHat, denominator), -s.learningRate));
    tf.dispose([mHat, denominator]);
    tf.tidy(() => {
      const updated = tf.add(step, flat(values));
      const parts = values.length === 1 ? [updated] : tf.split(updated, chunk.sizes);
      for (const [i, p] of parts.entries()) values[i].assign(values[i].rank === 1 ? p : tf.reshape(p, values[i].shape));
    });
    step.dispose();
  }

  /** The moments per variable, named and ordered as tfjs's Adam names them. */
  override async getWeights(): ReturnType<tf.AdamOptimizer['getWeights']> {
    const s = this as unknown as AdamFields;
    this.syncPerVariable(s);
    return super.getWeights();
  }

  /** Takes moments saved by this class or by tfjs's Adam (per variable, in order). */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const s = this as unknown as AdamFields;
    this.disposeChunks();
    this.pending = [...s.accumulatedFirstMoment, ...s.accumulatedSecondMoment].map((e) => e.variable);
  }

  override dispose(): void {
    this.disposeChunks();
    super.dispose();
  }

  /** The chunks for `names`, laid out on the first call (from restored moments, if any). */
  private layout(names: string[]): Chunk[] {
    if (this.chunks) {
      const known = this.chunks.flatMap((c) => c.names);
      if (known.length !== names.length || known.some((n, i) => n !== names[i])) {
        throw new Error(`Adam: applyGradients got variables [${names.join(', ')}], but its state is for [${known.join(', ')}]`);
      }
      return this.chunks;
    }
    const vars = names.map((n) => tf.engine().registeredVariables[n]);
    const restored = this.pending;
    if (restored && restored.length !== 2 * vars.length) {
      throw new Error(`Adam: restored state holds moments for ${restored.length / 2} variables, the step has ${vars.length}`);
    }
    const chunks: Chunk[] = [];
    let start = 0;
    while (start < vars.length) {
      let end = start + 1;
      let elements = vars[start].size;
      while (end < vars.length && elements + vars[end].size <= CHUNK_ELEMENTS) elements += vars[end++].size;
      const moment = (offset: number) =>
        tf.tidy(() => {
          if (!restored) return tf.zeros([elements]).variable(false);
          const parts = restored.slice(offset + start, offset + end).map((t) => tf.reshape(t, [-1]));
          return (parts.length === 1 ? parts[0] : tf.concat(parts)).variable(false);
        });
      chunks.push({ names: names.slice(start, end), sizes: vars.slice(start, end).map((v) => v.size), m: moment(0), v: moment(vars.length) });
      start = end;
    }
    this.chunks = chunks;
    this.pending = null;
    return chunks;
  }

  private dropPerVariable(s: AdamFields): void {
    tf.dispose([...s.accumulatedFirstMoment, ...s.accumulatedSecondMoment].map((e) => e.variable));
    s.accumulatedFirstMoment = [];
    s.accumulatedSecondMoment = [];
  }

  /** Writes the flat moments into tfjs's per-variable state, which `getWeights` reads. */
  private syncPerVariable(s: AdamFields): void {
    if (!this.chunks) return;
    this.dropPerVariable(s);
    for (const chunk of this.chunks) {
      const parts = (flat: tf.Variable) => tf.tidy(() => (chunk.names.length === 1 ? [flat] : tf.split(flat, chunk.sizes)));
      const [ms, vs] = [parts(chunk.m), parts(chunk.v)];
      chunk.names.forEach((name, i) => {
        const shape = tf.engine().registeredVariables[name].shape;
        const keep = (t: tf.Tensor, suffix: string) => ({
          originalName: `${name}/${suffix}`,
          variable: tf.tidy(() => tf.reshape(t, shape).variable(false)),
        });
        s.accumulatedFirstMoment.push(keep(ms[i], 'm'));
        s.accumulatedSecondMoment.push(keep(vs[i], 'v'));
      });
      if (chunk.names.length > 1) tf.dispose([...ms, ...vs]);
    }
  }

  private disposeChunks(): void {
    if (this.chunks) tf.dispose(this.chunks.flatMap((c) => [c.m, c.v]));
    this.chunks = null;
  }
}
