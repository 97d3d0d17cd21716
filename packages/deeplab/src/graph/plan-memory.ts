import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerPlan, PlanStep } from './layer-plan.js';

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
  let live = 0;
  let peakBytes = 0;
  let largestTensorBytes = 0;
  walkShapes(plan, inputShapes, shapes, (step, k) => {
    if (k === 0) {
      live = plan.inputs.reduce((sum, slot) => sum + bytes(slot), 0);
      largestTensorBytes = Math.max(...plan.inputs.map(bytes));
    }
    const widest = Math.max(0, ...step.outputs.map(bytes));
    live += step.outputs.reduce((sum, slot) => sum + bytes(slot), 0);
    largestTensorBytes = Math.max(largestTensorBytes, widest);
    peakBytes = Math.max(peakBytes, live + widest);
    for (const s of new Set(step.inputs)) if (plan.lastUse[s] === k) live -= bytes(s);
  });
  return { peakBytes, largestTensorBytes };
}

/**
 * The output shapes of the plan's model for inputs of `inputShapes`, from
 * each layer's `computeOutputShape`.
 */
export function planOutputShapes(plan: LayerPlan, inputShapes: readonly (readonly number[])[]): tfl.Shape[] {
  const shapes: tfl.Shape[] = [];
  walkShapes(plan, inputShapes, shapes, () => {});
  return plan.outputs.map((s) => shapes[s]);
}

function walkShapes(plan: LayerPlan, inputShapes: readonly (readonly number[])[], shapes: tfl.Shape[], onStep: (step: PlanStep, k: number) => void): void {
  plan.inputs.forEach((slot, i) => {
    shapes[slot] = [...inputShapes[i]];
  });
  plan.steps.forEach((step, k) => {
    const ins = step.inputs.map((s) => shapes[s]);
    const out = step.layer.computeOutputShape(ins.length === 1 ? ins[0] : ins);
    const outs = (Array.isArray(out[0]) ? out : [out]) as tfl.Shape[];
    step.outputs.forEach((slot, i) => {
      shapes[slot] = outs[i];
    });
    onStep(step, k);
  });
}
