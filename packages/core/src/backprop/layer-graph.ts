import type * as tfl from '@tensorflow/tfjs-layers';
import type { Layer } from './layer-gradient.js';

/** One call of a layer in a model's graph, with the ids of the values it reads and writes. */
export interface LayerCall {
  layer: Layer;
  inputs: number[];
  outputs: number[];
}

/** A model flattened into layer calls in execution order (nested models expanded). */
export interface LayerGraph {
  calls: LayerCall[];
  inputs: number[];
  outputs: number[];
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

const isContainer = (layer: unknown): layer is Container =>
  (layer as { nodesByDepth?: unknown }).nodesByDepth !== undefined && Array.isArray((layer as Partial<Container>).outputs);

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

/**
 * Flattens a `LayersModel` (functional or `Sequential`) into the layer calls
 * its `call()` makes, in the same order, with nested models expanded in
 * place. Every value gets an id of its own: a nested model called twice, or
 * a layer called at two nodes, appears as two calls of the same layer on
 * different values. A node with several outputs (a nested model) runs once,
 * where tfjs-layers' executor runs it once per output it needs.
 */
export function layerGraph(model: tfl.LayersModel): LayerGraph {
  let next = 0;
  const calls: LayerCall[] = [];
  const expand = (container: Container, inputs: number[]): number[] => {
    // Symbolic tensor id → value id, for this call of the container only.
    const scope = new Map<number, number>();
    for (const [i, t] of container.inputs.entries()) scope.set(t.id, inputs[i]);
    for (const t of executionOrder(container.outputs, container.inputs)) {
      if (scope.has(t.id)) continue;
      const layer = t.sourceLayer;
      const node = layer.inboundNodes[t.nodeIndex] as unknown as { inputTensors: Symbolic[]; outputTensors: Symbolic[] };
      const ins = node.inputTensors.map((s) => {
        const id = scope.get(s.id);
        if (id === undefined) throw new Error(`layerGraph: ${layer.name} reads ${s.name}, which nothing in ${container.name} computes`);
        return id;
      });
      const outs = isContainer(layer) ? expand(built(layer), ins) : node.outputTensors.map(() => next++);
      if (!isContainer(layer)) calls.push({ layer, inputs: ins, outputs: outs });
      for (const [i, s] of node.outputTensors.entries()) scope.set(s.id, outs[i]);
    }
    return container.outputs.map((t) => scope.get(t.id)!);
  };
  const root = built(model as unknown as Container);
  const inputs = root.inputs.map(() => next++);
  return { calls, inputs, outputs: expand(root, inputs) };
}
