import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerCall, LayerGraph } from './layer-graph.js';

/** What a run of a graph needs at its widest point, from shapes alone. */
export interface GraphMemory {
  /** Bytes of the live tensors at the widest step, plus one temporary the size of that step's output. */
  peakBytes: number;
  /** Bytes of the largest single tensor. */
  largestTensorBytes: number;
}

const product = (shape: readonly (number | null)[]) => shape.reduce<number>((a, d) => a * (d ?? 1), 1);

/**
 * The memory a `runOnce` of the graph needs for inputs of `inputShapes`
 * (float32), computed from each layer's `computeOutputShape` without running
 * anything: live values are freed after their last reader as the run frees
 * them, and each step counts one temporary the size of its output (a conv's
 * result before its bias is added, a batch norm's before its ReLU).
 *
 * @throws What a layer's `computeOutputShape` throws for these shapes (e.g.
 *   DeepLabV3+'s input size guard for images under 32 px).
 */
export function graphMemory(graph: LayerGraph, inputShapes: readonly (readonly number[])[]): GraphMemory {
  const shapes: tfl.Shape[] = [];
  const bytes = (slot: number) => 4 * product(shapes[slot]);
  let live = 0;
  let peakBytes = 0;
  let largestTensorBytes = 0;
  walkShapes(graph, inputShapes, shapes, (call, k) => {
    if (k === 0) {
      live = graph.inputs.reduce((sum, slot) => sum + bytes(slot), 0);
      largestTensorBytes = Math.max(...graph.inputs.map(bytes));
    }
    const widest = Math.max(0, ...call.outputs.map(bytes));
    live += call.outputs.reduce((sum, slot) => sum + bytes(slot), 0);
    largestTensorBytes = Math.max(largestTensorBytes, widest);
    peakBytes = Math.max(peakBytes, live + widest);
    for (const s of new Set(call.inputs)) if (graph.lastUse[s] === k) live -= bytes(s);
  });
  return { peakBytes, largestTensorBytes };
}

/**
 * The output shapes of the graph's model for inputs of `inputShapes`, from
 * each layer's `computeOutputShape`.
 */
export function graphOutputShapes(graph: LayerGraph, inputShapes: readonly (readonly number[])[]): tfl.Shape[] {
  const shapes: tfl.Shape[] = [];
  walkShapes(graph, inputShapes, shapes, () => {});
  return graph.outputs.map((s) => shapes[s]);
}

function walkShapes(graph: LayerGraph, inputShapes: readonly (readonly number[])[], shapes: tfl.Shape[], onCall: (call: LayerCall, k: number) => void): void {
  graph.inputs.forEach((slot, i) => {
    shapes[slot] = [...inputShapes[i]];
  });
  graph.calls.forEach((call, k) => {
    const ins = call.inputs.map((s) => shapes[s]);
    const out = call.layer.computeOutputShape(ins.length === 1 ? ins[0] : ins);
    const outs = (Array.isArray(out[0]) ? out : [out]) as tfl.Shape[];
    call.outputs.forEach((slot, i) => {
      shapes[slot] = outs[i];
    });
    onCall(call, k);
  });
}
