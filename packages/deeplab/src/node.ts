/**
 * `@seg/deeplab/node`: the Node-only wing of @seg/deeplab (files, worker
 * threads, the terminal). Training runs in a folder: {@link TrainingRun}.
 *
 * @packageDocumentation
 */
export * from './run/index.js';
