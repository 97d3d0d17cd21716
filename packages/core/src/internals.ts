/**
 * `@seg/core/internals`: everything `@seg/core` builds on, for the other
 * `@seg` packages, the benchmarks and the examples: graph walking, the
 * layer-by-layer engine, checkpoint files, replicas, run state, the torch
 * state-dict matcher, file helpers. Names here may change in any release;
 * the main entry `@seg/core` holds what users build on.
 *
 * @packageDocumentation
 */
import './registration.js';

export * from './kernels/index.js';
export * from './layers/index.js';
export * from './backbones/index.js';
export * from './data/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './run-state/index.js';
export * from './train/index.js';
export * from './graph/index.js';
export * from './backprop/index.js';
export * from './backends/index.js';
export * from './io/index.js';
