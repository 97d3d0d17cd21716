// Public exports of src/graph.
export { graphMemory, graphOutputShapes } from './graph-memory.js';
export type { GraphMemory } from './graph-memory.js';
export { isNestedModel, layerGraph } from './layer-graph.js';
export type { LayerCall, LayerGraph } from './layer-graph.js';
export { runOnce } from './run-once.js';
