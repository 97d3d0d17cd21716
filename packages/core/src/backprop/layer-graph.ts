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

interface GraphNode {
  outboundLayer: Layer;
  inputTensors: tfl.SymbolicTensor[];
  outputTensors: tfl.SymbolicTensor[];
}

interface Container {
  inputs: tfl.SymbolicTensor[];
  outputs: tfl.SymbolicTensor[];
  nodesByDepth: Record<string, GraphNode[]>;
}

const isContainer = (layer: unknown): layer is Container =>
  (layer as Partial<Container>).nodesByDepth !== undefined && Array.isArray((layer as Partial<Container>).outputs);

/**
 * Flattens a functional `LayersModel` into the layer calls its `call()`
 * would make, in the same order (deepest nodes first, as tfjs-layers'
 * `runInternalGraph`), with nested models expanded in place: a nested
 * model's inputs and outputs become aliases of the values around it.
 */
export function layerGraph(model: tfl.LayersModel): LayerGraph {
  const alias = new Map<number, number>();
  const resolve = (id: number): number => {
    let r = id;
    while (alias.has(r)) r = alias.get(r)!;
    return r;
  };
  const calls: LayerCall[] = [];
  const expand = (container: Container): void => {
    const depths = Object.keys(container.nodesByDepth)
      .map(Number)
      .sort((a, b) => b - a);
    for (const depth of depths) {
      for (const node of container.nodesByDepth[depth]) {
        const layer = node.outboundLayer;
        if (layer.getClassName() === 'InputLayer') continue;
        const inputs = node.inputTensors.map((t) => t.id);
        const outputs = node.outputTensors.map((t) => t.id);
        if (isContainer(layer)) {
          for (const [i, t] of layer.inputs.entries()) alias.set(t.id, inputs[i]);
          expand(layer);
          for (const [i, id] of outputs.entries()) alias.set(id, layer.outputs[i].id);
          continue;
        }
        calls.push({ layer, inputs, outputs });
      }
    }
  };
  const root = model as unknown as Container;
  expand(root);
  return {
    calls: calls.map((c) => ({ layer: c.layer, inputs: c.inputs.map(resolve), outputs: c.outputs.map(resolve) })),
    inputs: root.inputs.map((t) => resolve(t.id)),
    outputs: root.outputs.map((t) => resolve(t.id)),
  };
}
