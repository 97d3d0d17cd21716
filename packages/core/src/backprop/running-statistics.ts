import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A running statistic (a BN moving mean or variance) and the batch value it moves towards. */
export interface RunningUpdate {
  variable: tfl.LayerVariable;
  value: tf.Tensor1D;
  /** Weight of the old value (tfjs-layers' convention: 0.9 is torch's 0.1). */
  momentum: number;
}

/**
 * Moves every running statistic towards its batch value as tfjs-layers does
 * (`old − (old − value) · (1 − momentum)`), all statistics of one momentum at
 * once: 6 kernels for a whole model's instead of 3 per statistic (a
 * DeepLabV3+ has ~60). A statistic updated more than once (a layer shared
 * by two calls) moves once per update, in order, as in tfjs-layers. Frees
 * each value for which `owned` holds.
 */
export function applyRunningUpdates(updates: readonly RunningUpdate[], owned: (t: tf.Tensor) => boolean): void {
  // Round r holds each statistic's r-th update: within a round every statistic appears once.
  const rounds: Array<Map<number, RunningUpdate[]>> = [];
  const seen = new Map<tfl.LayerVariable, number>();
  for (const u of updates) {
    const r = seen.get(u.variable) ?? 0;
    seen.set(u.variable, r + 1);
    rounds[r] ??= new Map();
    rounds[r].set(u.momentum, [...(rounds[r].get(u.momentum) ?? []), u]);
  }
  for (const byMomentum of rounds) {
    for (const [momentum, group] of byMomentum) {
      tf.tidy(() => {
        const old = tf.concat(group.map((u) => u.variable.read()));
        const moved = tf.sub(old, tf.mul(tf.sub(old, tf.concat(group.map((u) => u.value))), 1 - momentum));
        const parts = tf.split(moved, group.map((u) => u.value.size));
        for (const [i, u] of group.entries()) u.variable.write(parts[i]);
      });
    }
  }
  for (const u of updates) if (owned(u.value)) u.value.dispose();
}
