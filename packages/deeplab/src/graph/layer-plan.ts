/**
 * A model's layer calls in execution order, nested models expanded in place:
 * the one walk of the layer graph that inference ({@link runPlan}), memory
 * estimates and ONNX export share.
 *
 * tfjs-layers' `predict()` walks symbolic tensors, not layer calls, and
 * applies a layer once per output tensor it needs: DeepLabV3+'s trunk feeds
 * ASPP and the decoder, so `predict()` runs it twice (tfjs-layers 4.22,
 * `engine/executor.ts`). `model.apply()` walks calls, but keeps every
 * intermediate of a nested model until it returns. A plan has one step per
 * layer call and knows when each value is last read, so a run can free it
 * right then.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.layers.Layer;

/** The parts of a tfjs-layers `SymbolicTensor` and `Node` a walk reads (typed loosely in tfjs). */
interface SymbolicEdge {
  readonly id: number;
  readonly sourceLayer: Layer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
}
interface CallNode {
  readonly inboundLayers: Layer[];
  readonly inputTensors: SymbolicEdge[];
  readonly outputTensors: SymbolicEdge[];
}
/** A model used as a layer: tfjs-layers' `Container` (functional and Sequential models). */
interface NestedModel {
  readonly name: string;
  readonly layers: Layer[];
  readonly inputs: SymbolicEdge[];
  readonly outputs: SymbolicEdge[];
}

/** One layer call: the layer, and the value slots it reads and writes. */
export interface PlanStep {
  /** The layer (never a nested model: those are expanded). */
  readonly layer: Layer;
  /** Nested model names down to the layer, e.g. `resnet50/conv1`; unique per step. */
  readonly path: string;
  /** Value slots read, in the layer's input order. */
  readonly inputs: readonly number[];
  /** Value slots written, in the layer's output order. */
  readonly outputs: readonly number[];
}

/** A model flattened to layer calls in an order that runs. */
export interface LayerPlan {
  /** Value slots the model's inputs fill, in order. */
  readonly inputs: readonly number[];
  /** Value slots holding the model's outputs, in order. */
  readonly outputs: readonly number[];
  /** Layer calls in execution order, each layer call once. */
  readonly steps: readonly PlanStep[];
  /**
   * For each value slot, the index of the last step that reads it; model
   * inputs and outputs are never freed (`Infinity`), unread values get `-1`.
   */
  readonly lastUse: readonly number[];
}

/** Whether `layer` is a model applied as a layer (tfjs-layers' Container), by shape, not class: Node may load two tfjs-layers copies. */
export function isNestedModel(layer: unknown): layer is NestedModel & Layer {
  const m = layer as Partial<NestedModel>;
  return Array.isArray(m.layers) && Array.isArray(m.inputs) && Array.isArray(m.outputs);
}

const plans = new WeakMap<object, LayerPlan>();

/**
 * The plan of `model` (cached: a layers model's graph never changes once built).
 *
 * @throws If the graph reads a symbolic input the model does not feed.
 */
export function layerPlan(model: tfl.LayersModel): LayerPlan {
  let plan = plans.get(model);
  if (!plan) {
    plan = buildPlan(model as unknown as NestedModel);
    plans.set(model, plan);
  }
  return plan;
}

function buildPlan(model: NestedModel): LayerPlan {
  const steps: PlanStep[] = [];
  let slots = 0;
  const inputs = model.inputs.map(() => slots++);

  const expand = (container: NestedModel, fed: readonly number[], prefix: string): number[] => {
    const slotOf = new Map<number, number>();
    container.inputs.forEach((t, i) => {
      slotOf.set(t.id, fed[i]);
    });
    const visit = (t: SymbolicEdge): number => {
      const known = slotOf.get(t.id);
      if (known !== undefined) return known;
      const layer = t.sourceLayer;
      const node = (layer.inboundNodes as unknown as CallNode[])[t.nodeIndex];
      if (node.inboundLayers.length === 0) {
        throw new Error(`${prefix}${layer.name}: the graph reads input "${layer.name}", which model "${container.name}" does not feed`);
      }
      const ins = node.inputTensors.map(visit);
      let outs: number[];
      if (isNestedModel(layer)) {
        outs = expand(layer, ins, `${prefix}${layer.name}/`);
      } else {
        outs = node.outputTensors.map(() => slots++);
        steps.push({ layer, path: `${prefix}${layer.name}`, inputs: ins, outputs: outs });
      }
      node.outputTensors.forEach((o, i) => {
        slotOf.set(o.id, outs[i]);
      });
      return outs[t.tensorIndex];
    };
    return container.outputs.map(visit);
  };

  const outputs = expand(model, inputs, '');
  const lastUse = new Array<number>(slots).fill(-1);
  steps.forEach((step, k) => {
    for (const s of step.inputs) lastUse[s] = k;
  });
  for (const s of [...inputs, ...outputs]) lastUse[s] = Number.POSITIVE_INFINITY;
  return { inputs, outputs, steps, lastUse };
}
