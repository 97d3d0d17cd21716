/**
 * `seg-deeplab train`: a dataset in a standard layout, a model (DeepLabV3+ or
 * a torchvision model, from ImageNet trunk weights or a whole checkpoint), the
 * run folder of `TrainingRun`, and an optional ONNX export. Every input is
 * checked before the first step.
 *
 * @module
 */
import {
  compose,
  EarlyStopping,
  medianFrequencyWeights,
  randomCrop,
  randomHorizontalFlip,
  randomScale,
  resumableBatches,
  segmentationBatches,
  selectBackend,
  Trainer,
  writeFileAtomic,
} from '@seg/core';
import { createOptimizer, lrSchedule, type ParameterGroupOptions } from '@seg/core/internals';
import { openDataset } from '@seg/datasets';
import { exportOnnx } from '../../onnx/export-onnx.js';
import { replicaWorkers } from '../../run/replicas.js';
import { runConfig } from '../../run/run-folder.js';
import { type LossSpec, lossFrom, type SegmentationReplicaOptions } from '../../run/segmentation-replica.js';
import { TrainingRun } from '../../run/training-run.js';
import type { ProgressSink } from '../progress.js';
import { checkBeforeTraining, classPixelCounts, stepsPerEpoch } from './data-checks.js';
import { buildTrainModel } from './train-model.js';
import { type TrainOptions, validateTrainOptions } from './train-options.js';

/** The largest random scale of the training augmentation (DeepLab's 0.5–2). */
export const MAX_TRAIN_SCALE = 2;

/** Where `trainOnDataset` writes. */
export interface TrainOutput {
  log: (line: string) => void;
  /** The progress bar's sink; `false`: none. */
  progress: ProgressSink | false;
}

/** What {@link trainOnDataset} ends with. */
export interface TrainOnDatasetResult {
  steps: number;
  stoppedEarly: boolean;
  /** The run folder. */
  out: string;
  /** The validation split's scores with the final model. */
  meanIoU: number;
  pixelAccuracy: number;
}

/**
 * Trains as `seg-deeplab train` does (see `TrainOptions`): the class count and
 * names come from the dataset; bad input (a class count that does not match,
 * weights of another architecture, a crop larger than every image, an empty
 * split, `--export` to a missing folder) is named before the first step.
 */
export async function trainOnDataset(options: TrainOptions, output: TrainOutput): Promise<TrainOnDatasetResult> {
  const { log } = output;
  validateTrainOptions(options);
  const data = await openDataset(options.data, { format: options.format, seed: options.seed });
  const train = data.split(options.trainSplit);
  const validation = data.split(options.valSplit);
  await checkBeforeTraining(options, data, train, validation, MAX_TRAIN_SCALE);
  const backend = await selectBackend(options.backend ? [options.backend] : undefined);
  const passedOver = backend.skipped.map((s) => s.backend).join(', ');
  log(`backend: ${backend.name}${backend.device ? ` on ${backend.device}` : ''}${passedOver ? ` (passed over: ${passedOver})` : ''}`);
  log(`${options.format} dataset at ${data.root}: ${data.classes.length} classes; ${train.size} ${options.trainSplit} and ${validation.size} ${options.valSplit} images`);

  const classes = data.classes.map((name, id) => ({ name, color: data.palette[id] }));
  const classWeights = options.classWeights === 'median-frequency' ? medianFrequencyWeights(await classPixelCounts(train, classes.length, data.ignoreIndex)) : null;
  if (classWeights) log(`class weights (median frequency over ${train.size} ${options.trainSplit} images): ${classWeights.map((w, c) => `${classes[c].name} ${w.toFixed(3)}`).join(', ')}`);
  const lossSpec: LossSpec = { name: options.loss, classWeights, ignoreIndex: data.ignoreIndex };
  const loss = lossFrom(lossSpec);
  const built = await buildTrainModel(options, classes, log);
  const { model } = built;
  const iterations = options.iterations ?? options.epochs! * stepsPerEpoch(train.size, options.batchSize);
  // config.json: every option as resolved, and what came from the dataset.
  const config = { ...options, iterations, numClasses: classes.length, classes: data.classes, classWeights };
  let run: TrainingRun | null = null;
  const atEnd: Array<() => Promise<unknown>> = [async () => model.dispose()];
  try {
    run = await TrainingRun.open({
      out: options.out,
      loss,
      classes,
      validation,
      steps: iterations,
      resume: options.resume,
      overwrite: options.overwrite,
      allowConfigChange: options.allowConfigChange,
      config,
      ignoreIndex: data.ignoreIndex,
      valImages: options.valImages ?? undefined,
      monitor: 'meanIoU',
      seed: options.seed,
      backend: backend.name,
      lossName: options.loss,
      log,
      progress: output.progress,
    });
    const replicaArgs: SegmentationReplicaOptions = { model: built.spec, loss: lossSpec, freezeBN: options.freezeBN };
    const workers = await replicaWorkers({ multiGPU: false, workers: options.workers, batchSize: options.batchSize }, backend, replicaArgs, log);
    const schedule = lrSchedule({ schedule: options.schedule, learningRate: options.lr, steps: iterations, warmup: options.warmup });
    const optimizer = () => ({
      ...createOptimizer({ optimizer: options.optimizer, learningRate: options.lr, weightDecay: options.weightDecay, ...(options.optimizer === 'sgd' ? { momentum: options.momentum } : {}) }),
      schedule,
    });
    const groups: ParameterGroupOptions[] = [
      { name: 'trunk', match: built.trunk, frozenSteps: options.freezeTrunk, ...(options.freezeBN ? { freezeBN: true } : {}), ...optimizer() },
      { name: 'head', ...optimizer() },
    ];
    const transform = compose([
      randomHorizontalFlip({ probability: 0.5 }),
      randomScale({ minScale: 0.5, maxScale: MAX_TRAIN_SCALE }),
      randomCrop({ size: options.cropSize, ignoreIndex: data.ignoreIndex }),
    ]);
    const trainer = new Trainer({
      model,
      loss,
      metrics: run.metrics,
      groups,
      data: resumableBatches(
        segmentationBatches(train, { batchSize: options.batchSize, transform, seed: options.seed, normalize: 'imagenet', dropRemainder: train.size >= options.batchSize }),
      ),
      config: runConfig(config),
      workers,
      seed: options.seed,
    });
    atEnd.push(() => trainer.dispose());
    if (workers) log(`data-parallel: ${workers.count} replicas (${workers.devices === 'gpu' ? 'a process per GPU' : 'worker threads'}), each batch split across them`);
    await run.start(trainer);
    // A decider goes before the run's callbacks, which report its decisions.
    const earlyStopping = options.patience === null ? [] : [new EarlyStopping({ monitor: 'meanIoU', mode: 'max', patience: options.patience, restoreBestWeights: false })];
    const result = await trainer.fit({ steps: iterations, evaluateEvery: options.evalEvery, ...run.fitOptions, callbacks: [...earlyStopping, ...run.fitOptions.callbacks] });
    const { scores } = await run.finish(result, { name: options.valSplit });
    log(`${options.valSplit} (${validation.size} images): mIoU ${scores.meanIoU.toFixed(4)}, pixel accuracy ${scores.pixelAccuracy.toFixed(4)}`);
    if (options.export) {
      const bytes = await exportOnnx(model, { precision: options.fp16 ? 'fp16' : 'fp32' });
      await writeFileAtomic(options.export, bytes);
      log(`exported ${options.export} (${(bytes.length / 2 ** 20).toFixed(1)} MiB${options.fp16 ? ', fp16 weights' : ''})`);
    }
    return { steps: result.step, stoppedEarly: result.stoppedEarly, out: options.out, meanIoU: scores.meanIoU, pixelAccuracy: scores.pixelAccuracy };
  } finally {
    for (const end of atEnd.reverse()) await end();
    await run?.close();
  }
}
