/**
 * A complete, tiny training run (model, seeded data with augmentation,
 * early stopping, best-model saver, checkpoints) used by the resume tests,
 * in process and in the child process they SIGKILL
 * (`kill-resume-run.ts`).
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BestModelSaver,
  EarlyStopping,
  evaluateSegmentation,
  type FitOptions,
  inMemoryDataset,
  randomHorizontalFlip,
  resumableBatches,
  SeededRng,
  type SegmentationSample,
  segmentationBatches,
  sparseSoftmaxCrossEntropy,
  Trainer,
  type TrainingCallback,
} from '../packages/core/src/index.js';

/** trunk (1×1 conv, 3→6) → dropout at `dropout`, if above 0 (unseeded: the trainer's seed decides its masks) → head (1×1 conv, 6→3 classes). */
export function tinyModel(seed: number, dropout = 0): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const trunk = tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', name: 'trunk', kernelInitializer: init(seed) });
  const head = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'head', kernelInitializer: init(seed + 1) });
  let features = trunk.apply(input) as tfl.SymbolicTensor;
  if (dropout > 0) features = tfl.layers.dropout({ rate: dropout, name: 'dropout' }).apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: head.apply(features) as tfl.SymbolicTensor });
}

/** Samples whose label is the largest colour channel of a pixel: learnable by a 1×1 conv. */
export function tinySamples(count: number, seed: number): SegmentationSample[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(6 * 6 * 3).map(() => rng.int(256));
    const labels = new Uint8Array(36).map((_, p) => {
      const [r, g, b] = [data[3 * p], data[3 * p + 1], data[3 * p + 2]];
      return r >= g && r >= b ? 0 : g >= b ? 1 : 2;
    });
    return { id: `s${i}`, image: { data, width: 6, height: 6 }, labels };
  });
}

export interface TinyRunArgs {
  /** Run folder: checkpoint in `<dir>/checkpoint`, best model in `<dir>/best`. */
  dir: string;
  steps: number;
  learningRate?: number;
  /** Model initialisation seed (a resumed run may start from other weights: the checkpoint replaces them). */
  modelSeed?: number;
  /** Dropout rate between trunk and head. Default 0: none. */
  dropout?: number;
  /** The trainer's seed (its steps' dropout masks). Default none: unseeded. */
  seed?: number;
}

/** The tiny run: its trainer, its stateful callbacks, and the options of its `fit()` (with those callbacks). */
export interface TinyRun {
  trainer: Trainer;
  earlyStopping: EarlyStopping;
  bestModel: BestModelSaver;
  fit: FitOptions & { callbacks: TrainingCallback[] };
}

/** The tiny run in `args.dir`. */
export function tinyRun(args: TinyRunArgs): TinyRun {
  const model = tinyModel(args.modelSeed ?? 1, args.dropout);
  const train = inMemoryDataset(tinySamples(10, 1));
  const validation = tinySamples(4, 2);
  const stream = segmentationBatches(train, { batchSize: 2, seed: 5, transform: randomHorizontalFlip(), normalize: 'unit', prefetch: 1 });
  const loss = (labels: tf.Tensor, logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);
  const config = { steps: args.steps, learningRate: args.learningRate ?? 0.05, batchSize: 2, dropout: args.dropout ?? 0, seed: args.seed ?? null };
  const trainer = new Trainer({
    model,
    loss,
    groups: [{ name: 'all', learningRate: config.learningRate }],
    data: resumableBatches(stream),
    config,
    seed: args.seed,
  });
  const evaluate = async () => {
    const batches = segmentationBatches(inMemoryDataset(validation), { batchSize: 2, shuffle: false, normalize: 'unit' }).epoch(0);
    const r = await evaluateSegmentation(model, batches, { numClasses: 3, loss });
    return { pixelAccuracy: r.pixelAccuracy, loss: r.loss! };
  };
  const earlyStopping = new EarlyStopping({ monitor: 'loss', mode: 'min', patience: 3 });
  const bestModel = new BestModelSaver({ dir: join(args.dir, 'best'), monitor: 'pixelAccuracy', warn: () => {} });
  return {
    trainer,
    earlyStopping,
    bestModel,
    fit: {
      steps: args.steps,
      evaluateEvery: 2,
      checkpointEvery: 1,
      evaluate,
      checkpointDir: join(args.dir, 'checkpoint'),
      callbacks: [earlyStopping, bestModel],
    },
  };
}
