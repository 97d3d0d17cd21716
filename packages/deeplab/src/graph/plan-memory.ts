import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerPlan } from './layer-plan.js';

/** What a run of a plan needs at its widest point, from shapes alone. */
export interface PlanMemory {
  /** Bytes of the live tensors at the widest step, plus one temporary the size of that step's output. */
  peakBytes: number;
  /** Bytes of the largest single tensor. */
  largestTensorBytes: number;
}

const product = (shape: readonly (number | null)[]) => shape.reduce<number>((a, d) => a * (d ?? 1), 1);

/**
 * The memory a {@link runOnce} of the plan needs for inputs of `inputShapes`
 * (float32), computed from each layer's `computeOutputShape` without running
 * anything: live values are freed after their last reader as the run frees
 * them, and each step counts one temporary the size of its output (a conv's
 * result before its bias is added, a batch norm's before its ReLU).
 *
 * @throws What a layer's `computeOutputShape` throws for these shapes (e.g.
 *   DeepLabV3+'s input size guard for images under 32 px).
 */
export function planMemory(plan: LayerPlan, inputShapes: readonly (readonly number[])[]): PlanMemory {
  const shapes: tfl.Shape[] = [];
  const bytes = (slot: number) => 4 * product(shapes[slot]);
  plan.inputs.forEach((slot, i) => {
    shapes[slot] = [...inputShapes[i]];
  });
  let live = plan.inputs.reduce((sum, slot) => sum + bytes(slot), 0);
  let peakBytes = live;
  let largestTensorBytes = Math.max(...plan.inputs.map(bytes));
  plan.steps.forEach((step, k) => {
    const ins = step.inputs.map((s) => shapes[s]);
    const out = step.layer.computeOutputShape(ins.length === 1 ? ins[0] : ins);
    const outs = (Array.isArray(out[0]) ? out : [out]) as tfl.Shape[];
    let widest = 0;
    step.outputs.forEach((slot, i) => {
      shapes[slot] = outs[i];
      live += bytes(slot);
      widest = Math.max(widest, bytes(slot));
    });
    largestTensorBytes = Math.max(largestTensorBytes, widest);
    peakBytes = Math.max(peakBytes, live + widest);
    for (const s of new Set(step.inputs)) if (plan.lastUse[s] === k) live -= bytes(s);
  });
  return { peakBytes, largestTensorBytes };
}
