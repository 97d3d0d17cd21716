/**
 * A model's layer calls in execution order, nested models expanded in place:
 * the one walk of the layer graph that training (the layer-by-layer
 * backward), inference ({@link runOnce}), memory estimates and ONNX export
 * share.
 *
 * tfjs-layers' `predict()` walks symbolic tensors, not layer calls, and
 * applies a layer once per output tensor it needs: DeepLabV3+'s trunk feeds
 * ASPP and the decoder, so `predict()` runs it twice (tfjs-layers 4.22,
 * `engine/executor.ts`); `apply()` runs a nested model's graph again in its
 * `computeMask()`. A graph has one call per layer call and knows when each
 * value is last read, so a run can free it right then.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.layers.Layer;

/** One call of a layer in a model's graph, with the ids of the values it reads and writes. */
export interface LayerCall {
  /** The layer (never a nested model: those are expanded). */
  layer: Layer;
  /** Nested model names down to the layer, e.g. `resnet50/conv1`; unique per call unless a nested model is called twice. */
  path: string;
  /** Value ids read, in the layer's input order. */
  inputs: number[];
  /** Value ids written, in the layer's output order. */
  outputs: number[];
}

/** A model flattened into layer calls in execution order (nested models expanded). */
export interface LayerGraph {
  calls: LayerCall[];
  /** Value ids the model's inputs fill, in order. */
  inputs: number[];
  /** Value ids holding the model's outputs, in order. */
  outputs: number[];
  /**
   * For each value id, the index of the last call that reads it; model
   * inputs and outputs are never freed (`Infinity`), unread values get `-1`.
   */
  lastUse: number[];
}

/** What tfjs-layers' `SymbolicTensor` holds of the graph: the inputs of the node that made it, and that node. */
interface Symbolic {
  id: number;
  name: string;
  inputs: Symbolic[];
  sourceLayer: Layer;
  nodeIndex: number;
}

/** What tfjs-layers' `Container` (a functional model, a built `Sequential`) holds of its graph. */
interface Container {
  name: string;
  inputs: Symbolic[];
  outputs: Symbolic[];
  built: boolean;
  build(inputShape?: tfl.Shape): void;
}

/** Whether `layer` is a model applied as a layer (tfjs-layers' Container), by shape, not class: Node may load two tfjs-layers copies. */
export function isNestedModel(layer: unknown): boolean {
  return (layer as { nodesByDepth?: unknown }).nodesByDepth !== undefined && Array.isArray((layer as Partial<Container>).outputs);
}
const isContainer = (layer: unknown): layer is Container => isNestedModel(layer);

/**
 * `container`, built if it is not yet. A `Sequential` builds its graph (an
 * inner functional model whose nodes it mirrors) on its first call and again
 * after `add()`, as `apply()` would.
 */
function built(container: Container): Container {
  if (!container.built) container.build();
  return container;
}

/**
 * The symbolic tensors behind `fetches`, inputs first, in the order
 * tfjs-layers' executor (`engine/executor.ts`) computes them: a depth-first
 * walk from each fetch in turn, merged. Matching it matters where the order
 * shows: batch-norm running statistics moved by two calls of one layer.
 */
function executionOrder(fetches: Symbolic[], feeds: Symbolic[]): Symbolic[] {
  const order: Symbolic[] = [];
  const listed = new Set<number>();
  for (const fetch of fetches) {
    const visited = new Set(feeds.map((t) => t.id));
    const stack = [fetch];
    const marks: number[] = [];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (visited.has(top.id)) {
        stack.pop();
        continue;
      }
      const marked = marks[marks.length - 1] === stack.length - 1;
      if (top.inputs.length === 0 || marked) {
        stack.pop();
        visited.add(top.id);
        if (marked) marks.pop();
        if (!listed.has(top.id)) {
          listed.add(top.id);
          order.push(top);
        }
      } else {
        marks.push(stack.length - 1);
        for (const input of top.inputs) if (!visited.has(input.id)) stack.push(input);
      }
    }
  }
  return order;
}

const graphs = new WeakMap<object, { layers: number; graph: LayerGraph }>();

/**
 * Flattens a `LayersModel` (functional or `Sequential`) into the layer calls
 * its `call()` makes, in the same order, with nested models expanded in
 * place. Every value gets an id of its own: a nested model called twice, or
 * a layer called at two nodes, appears as two calls of the same layer on
 * different values. A node with several outputs (a nested model) runs once,
 * where tfjs-layers' executor runs it once per output it needs. Cached per
 * model (a `Sequential` that gained layers is walked again).
 *
 * @throws If the graph reads a symbolic tensor nothing in its model computes.
 */
export function layerGraph(model: tfl.LayersModel): LayerGraph {
  const cached = graphs.get(model);
  if (cached && cached.layers === model.layers.length) return cached.graph;
  const graph = walk(model);
  graphs.set(model, { layers: model.layers.length, graph });
  return graph;
}

function walk(model: tfl.LayersModel): LayerGraph {
  let next = 0;
  const calls: LayerCall[] = [];
  const expand = (container: Container, inputs: number[], prefix: string): number[] => {
    // Symbolic tensor id → value id, for this call of the container only.
    const scope = new Map<number, number>();
    for (const [i, t] of container.inputs.entries()) scope.set(t.id, inputs[i]);
    for (const t of executionOrder(container.outputs, container.inputs)) {
      if (scope.has(t.id)) continue;
      const layer = t.sourceLayer;
      const node = layer.inboundNodes[t.nodeIndex] as unknown as { inputTensors: Symbolic[]; outputTensors: Symbolic[] };
      const ins = node.inputTensors.map((s) => {
        const id = scope.get(s.id);
        if (id === undefined) throw new Error(`layerGraph: ${prefix}${layer.name} reads ${s.name}, which nothing in ${container.name} computes`);
        return id;
      });
      const outs = isContainer(layer) ? expand(built(layer), ins, `${prefix}${layer.name}/`) : node.outputTensors.map(() => next++);
      if (!isContainer(layer)) calls.push({ layer, path: `${prefix}${layer.name}`, inputs: ins, outputs: outs });
      for (const [i, s] of node.outputTensors.entries()) scope.set(s.id, outs[i]);
    }
    return container.outputs.map((t) => scope.get(t.id)!);
  };
  const root = built(model as unknown as Container);
  const inputs = root.inputs.map(() => next++);
  const outputs = expand(root, inputs, '');
  const lastUse = new Array<number>(next).fill(-1);
  calls.forEach((call, k) => {
    for (const id of call.inputs) lastUse[id] = k;
  });
  for (const id of [...inputs, ...outputs]) lastUse[id] = Number.POSITIVE_INFINITY;
  return { calls, inputs, outputs, lastUse };
}
