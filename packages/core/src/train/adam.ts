import * as tf from '@tensorflow/tfjs-core';

/** AdamOptimizer's state, private in its typings. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/**
 * tfjs's Adam — same maths, same state, same `getWeights()`/`setWeights()`
 * layout, so checkpoints of either load into the other — that updates one
 * variable at a time.
 *
 * Why: `tf.AdamOptimizer.applyGradients` runs every variable's update in one
 * `tidy`, so the seven temporaries of each update (moments, bias corrections,
 * the step) stay alive until the last variable is done: about eight copies
 * of the model's weights at once. For a DeepLabV3+ that was the peak of the
 * whole training step (bench/README.md). Here each update has its own
 * `tidy`, and at most one variable's temporaries exist.
 */
export class Adam extends tf.AdamOptimizer {
  /**
   * @param learningRate Step size. Default 1e-3.
   * @param beta1 Decay of the first-moment estimate. Default 0.9.
   * @param beta2 Decay of the second-moment estimate. Default 0.999.
   * @param epsilon Added to the denominator. Default: the backend's epsilon (as `tf.train.adam`).
   */
  constructor(learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon as number);
  }

  /** One Adam step for each variable named in `variableGradients` (a missing gradient skips its variable). */
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const s = this as unknown as AdamState;
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const [oneMinusAccBeta1, oneMinusAccBeta2] = tf.tidy(() => [tf.sub(1, s.accBeta1), tf.sub(1, s.accBeta2)]);
    list.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      tf.tidy(() => {
        const m = s.accumulatedFirstMoment[i].variable;
        const v = s.accumulatedSecondMoment[i].variable;
        const newM = tf.add(tf.mul(m, s.beta1), tf.mul(gradient, 1 - s.beta1));
        const newV = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(gradient), 1 - s.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), s.epsilon)), -s.learningRate), value));
      });
    });
    tf.dispose([oneMinusAccBeta1, oneMinusAccBeta2]);
    tf.tidy(() => {
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  }
}
