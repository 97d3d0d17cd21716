import * as path from 'node:path';
import type { SegBackendName } from '@seg/core';
import type { ModelClass } from '../classes/model-classes.js';
import { modelSourceKind } from '../inference/load-segmenter.js';
import type { Segmenter } from '../inference/segmenter.js';
import { BatchRun, type BatchSource } from './batch-run.js';
import { exclusiveQueue, type SegmentSettings, segmentImageFile } from './image-job.js';
import { checkSaveKinds, type SaveKind } from './outputs.js';
import { planBatch, refusedResults } from './plan.js';
import { SegmentPool } from './pool/pool.js';
import { resolveRetry, type RetryOptions, runTasks, type TaskRunner } from './run-tasks.js';
import { readModelClasses } from './segmenter-loader.js';
import type { ImageResult } from './summary.js';

/** Options of {@link segmentMany}. */
export interface SegmentManyOptions extends SegmentSettings, RetryOptions {
  /** Output folder: `<out>/<rel>.png` per image and `summary.json`. Required. */
  out: string;
  /** Outputs besides the labels PNG (see `SAVE_KINDS`). Default: labels only. */
  save?: readonly SaveKind[];
  /** Segment images whose labels PNG exists too, rewriting their outputs. Default `false`: skip them. */
  redo?: boolean;
  /**
   * Worker processes when `model` is a path. Default: one per CPU core on
   * `wasm`/`cpu`, one per GPU on GPU backends (see `SegmentPool`).
   */
  workers?: number;
  /** tfjs backend of the workers. Default: the best that works here. */
  backend?: SegBackendName;
  /** Class names and colours of a {@link Segmenter} passed as `model` (a model path brings its own). */
  classes?: readonly ModelClass[];
  /** Stops the run: no image starts after it aborts; those in flight finish and the summary is written. */
  signal?: AbortSignal;
  /** Folder relative paths are resolved against. Default: the working directory. */
  cwd?: string;
}

/** Images a segmenter in this process has in flight: the next one decodes while the model runs. */
const IN_PROCESS_CAPACITY = 2;

async function source(model: string | Segmenter, inputs: readonly string[], options: SegmentManyOptions): Promise<BatchSource> {
  const retry = resolveRetry(options);
  const save = checkSaveKinds(options.save ?? []);
  const settings: SegmentSettings = { flip: options.flip ?? false, scales: options.scales ?? [1] };
  const plan = await planBatch(inputs, { out: options.out, save, redo: options.redo, cwd: options.cwd });
  let runner: TaskRunner;
  let close = async () => {};
  let modelName: string;
  let classes = options.classes;
  if (typeof model === 'string') {
    modelName = path.resolve(options.cwd ?? process.cwd(), model);
    if (options.backend !== undefined && modelSourceKind(modelName) === 'onnx') {
      throw new Error(
        `segmentMany: backend "${options.backend}" picks the tfjs backend of saved tfjs models, but ${modelName} runs on ONNX Runtime (its CPU provider, one thread per worker); leave the backend out`,
      );
    }
    classes ??= await readModelClasses(modelName);
    if (plan.todo.length > 0) {
      const pool = await SegmentPool.start({ workers: options.workers, backend: options.backend });
      runner = { capacity: pool.capacity, run: (task) => pool.run(modelName, task, settings) };
      close = () => pool.close();
    } else {
      runner = { capacity: 0, run: () => Promise.reject(new Error('nothing to segment')) };
    }
  } else {
    if (options.workers !== undefined && options.workers !== 1) {
      throw new Error(`segmentMany: workers is ${options.workers}, but a Segmenter object runs in this process; pass a model path for worker processes`);
    }
    if (options.backend !== undefined) throw new Error('segmentMany: backend is for worker processes; a Segmenter object runs on whatever it was built with');
    modelName = '(Segmenter object)';
    const loaded = { source: modelName, segmenter: model, classes };
    const exclusive = exclusiveQueue();
    runner = { capacity: IN_PROCESS_CAPACITY, run: (task) => segmentImageFile(loaded, task, settings, exclusive) };
  }
  return {
    model: modelName,
    out: plan.out,
    settings: { ...settings, save: ['labels', ...save.filter((s) => s !== 'labels')] },
    classes,
    total: plan.todo.length + plan.skipped.length + plan.refused.length,
    async *results(): AsyncGenerator<ImageResult> {
      try {
        for (const image of plan.skipped) yield { ...image, status: 'skipped', attempts: 0 };
        yield* refusedResults(plan.refused);
        yield* runTasks(runner, plan.todo, retry, options.signal);
      } finally {
        await close();
      }
    },
  };
}

/**
 * Segments a collection of image files on this machine: every image gets
 * `<out>/<rel>.png` (class ids; the palette embedded when the model has one)
 * plus the outputs `save` asks for, each written atomically, and the run
 * writes `<out>/summary.json`. Images whose labels PNG exists are skipped
 * unless `redo`; a failing image is retried with backoff, then reported, and
 * the run goes on.
 *
 * @param model A saved tfjs model folder (or an `.onnx` file, run on ONNX
 *   Runtime), loaded once by each of `workers` worker processes; or a
 *   {@link Segmenter} used in this process.
 * @param inputs Image files, folders (searched recursively) and `@list.txt` files.
 * @returns The run: iterate it for results, listen to `progress`, await `summary()`.
 */
export function segmentMany(model: string | Segmenter, inputs: readonly string[], options: SegmentManyOptions): BatchRun {
  return new BatchRun(source(model, inputs, options));
}
