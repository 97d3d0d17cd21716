import * as tf from '@tensorflow/tfjs-core';
import { Adam } from './adam.js';

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter 2019), as
 * `torch.optim.AdamW` computes it: each step first shrinks every weight by
 * `1 − learningRate·weightDecay`, then takes {@link Adam}'s step, whose
 * gradients carry no decay. State and checkpoints are Adam's (the decay has
 * none), so a run can switch between the two.
 *
 * (`ParameterGroupOptions.weightDecay` is the L2 penalty of `torch.optim.Adam`
 * and SGD, added to the gradient; give AdamW's decay here instead.)
 */
export class AdamW extends Adam {
  /** Decoupled weight decay per unit learning rate. */
  readonly weightDecay: number;

  /**
   * @param learningRate Step size. Default 1e-3.
   * @param weightDecay Decoupled weight decay. Default 0.01 (torch's).
   * @param beta1 Decay of the first-moment estimate. Default 0.9.
   * @param beta2 Decay of the second-moment estimate. Default 0.999.
   * @param epsilon Added to the denominator. Default: the backend's epsilon (as `tf.train.adam`); torch's is 1e-8.
   */
  constructor(learningRate = 1e-3, weightDecay = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon);
    if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new Error(`AdamW: weightDecay must be a finite number >= 0, got ${weightDecay}`);
    this.weightDecay = weightDecay;
  }

  override applyGradients(variableGradients: Parameters<Adam['applyGradients']>[0]): void {
    const shrink = 1 - (this as unknown as { learningRate: number }).learningRate * this.weightDecay;
    if (shrink !== 1) {
      const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
      // The decay leaves the Adam step unchanged (it reads only gradients and moments), so shrinking first is torch's order.
      for (const name of names) {
        const v = tf.engine().registeredVariables[name];
        tf.tidy(() => v.assign(tf.mul(v, shrink)));
      }
    }
    super.applyGradients(variableGradients);
  }

  override getClassName(): string {
    return 'AdamW';
  }
}
