import { Adam, EarlyStopping, resumableBatches, segmentationBatches, selectBackend, Trainer } from '@seg/core';
import { type DeepLabV3PlusConfig, deeplabV3Plus, loadTrunkWeights } from '@seg/deeplab';
import { type LossSpec, lossFrom, replicaWorkers, runConfig, type ScoreLine, type SegmentationReplicaOptions, TrainingRun } from '@seg/deeplab/node';
import { openDataset } from '@seg/datasets';
import { MSRC_CLASSES, MSRC_VOID } from '@seg/msrc';
import { trainingAugmentation } from './augment.js';
import { refuseRandomFrozenTrunk, type TrainMsrcOptions, validateOptions } from './options.js';
import { resolveRunConfig } from './run-config.js';
import { checkSplits, msrcScores, type SplitScores } from './test-split.js';

export type { SplitScores } from './test-split.js';

/** What {@link trainMsrc} ends with. */
export interface TrainMsrcResult {
  steps: number;
  stoppedEarly: boolean;
  /** The best saved model's validation pixel accuracy and its iteration. */
  best: { pixelAccuracy: number | null; step: number | null };
  test: SplitScores;
  outDir: string;
}

const NUM_CLASSES = MSRC_CLASSES.length;

/** Test images the report shows as input | ground truth | prediction. */
const REPORT_TEST_IMAGES = 5;

/**
 * Trains DeepLabV3+ on MSRC-v2 the way the reference PyTorch run did:
 * separate Adam optimizers for trunk (frozen unless `trainTrunk`), ASPP and
 * decoder (with weight decay), logging train loss/accuracy and the accuracy
 * on `valImages` random validation images every `logFreq` iterations, saving
 * the model whenever that accuracy improves, and resuming from
 * `<out>/checkpoint` with `loadCheckpoint`. Ends with early stopping or after
 * `iterations`, restores the best saved model and scores the test split.
 *
 * The run folder is @seg/deeplab's `TrainingRun`: `out` is locked while the
 * run uses it; a folder holding a checkpoint needs `loadCheckpoint` or
 * `overwrite`, and files no run wrote are never written over. Whatever fails
 * (a replica, a NaN, the disk), the run rejects naming it, the last good
 * checkpoint stays, and the lock is released.
 */
export async function trainMsrc(
  options: TrainMsrcOptions,
  log: (line: string) => void = console.log,
  showProgress = log === console.log,
): Promise<TrainMsrcResult> {
  validateOptions(options);
  refuseRandomFrozenTrunk(options);
  const config = await resolveRunConfig(options);
  // Void is trained as the 22nd class, as in the reference run; the loss ignores nothing.
  const lossSpec: LossSpec = { name: 'ce', classWeights: config.classWeights, ignoreIndex: null };
  const loss = lossFrom(lossSpec);
  // JSON, so that every data-parallel replica builds the same model from it.
  const modelConfig: DeepLabV3PlusConfig = {
    backbone: options.backbone,
    outputStride: options.outputStride,
    numClasses: NUM_CLASSES,
    backboneOptions: options.backboneOptions,
    aspp: {
      ...(options.decoderChannels ? { filters: options.decoderChannels } : {}),
      rates: config.asppRates,
      useBias: config.asppBias,
      branchDropout: config.asppBranchDropout,
      dropout: config.asppDropout,
      spatialDropout: config.spatialDropout,
    },
    decoderDropout: config.decoderDropout,
  };
  const replicaArgs: SegmentationReplicaOptions = { model: { kind: 'deeplabv3plus', config: modelConfig }, loss: lossSpec };
  let run: TrainingRun | null = null;
  // What the run started and must end however it ends (the replicas).
  const atEnd: Array<() => Promise<void>> = [];
  try {
    const backend = await selectBackend(options.backend ? [options.backend] : undefined);
    const passedOver = backend.skipped.map((s) => s.backend).join(', ');
    log(`backend: ${backend.name}${backend.device ? ` on ${backend.device}` : ''}${passedOver ? ` (passed over: ${passedOver})` : ''}`);
    const data = await openDataset(options.data, { format: 'msrc', splitDir: options.splitDir });
    checkSplits(data);
    const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => data.split(s));
    run = await TrainingRun.open({
      out: options.out,
      loss,
      classes: MSRC_CLASSES.map((c) => ({ name: c.name, color: c.rgb })),
      validation,
      steps: options.iterations,
      resume: options.loadCheckpoint,
      resumeFlag: '--loadCheckpoint',
      overwrite: options.overwrite,
      allowConfigChange: options.allowConfigChange,
      config: config as unknown as Record<string, unknown>,
      exclude: [MSRC_VOID],
      valImages: options.valImages,
      monitor: 'pixelAccuracy',
      saveEvery: options.saveFreq ?? options.logFreq,
      seed: options.seed,
      backend: backend.name,
      lossName: 'cross-entropy',
      log,
      progress: showProgress,
      program: 'train-msrc',
    });
    log(`MSRC at ${data.root}: ${train.size} train, ${validation.size} validation, ${test.size} test images`);
    const workers = await replicaWorkers(options, backend, replicaArgs, log);
    // Seeded: the same --seed, the same initial weights (replicas take the trainer's weights at every step).
    const model = deeplabV3Plus({ ...modelConfig, seed: options.seed });
    atEnd.push(async () => void model.dispose());
    if (options.trunkWeights) {
      const report = await loadTrunkWeights(model, options.trunkWeights);
      log(`trunk weights: ${report.loaded.length} tensors loaded from ${options.trunkWeights} (${report.ignored.length} ignored)`);
    } else {
      log('trunk weights: none given, the trunk starts from random weights (pass --trunkWeights for ImageNet weights)');
    }
    const trainBatches = resumableBatches(
      segmentationBatches(train, {
        batchSize: options.batchSize,
        transform: trainingAugmentation(options.augmentation, options.cropSize),
        seed: options.seed,
        normalize: 'imagenet',
        dropRemainder: train.size >= options.batchSize,
      }),
    );
    const trainer = new Trainer({
      model,
      loss,
      metrics: run.metrics,
      groups: [
        {
          name: 'trunk',
          match: model.getLayer(options.backbone),
          frozen: !options.trainTrunk,
          // The reference run detaches a frozen trunk but keeps it in train(): its batch norms still update their statistics.
          freezeBN: false,
          optimizer: new Adam(options.learningRateTrunk),
        },
        { name: 'aspp', match: model.getLayer('aspp'), weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateAspp) },
        { name: 'decoder', weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateDecoder) },
      ],
      // The reference run had no early stopping (the preset's patience is null); best weights come from the saver.
      data: trainBatches,
      config: runConfig(options),
      workers,
      // Dropout masks: step k draws from (--seed, k), so a resumed run draws the uninterrupted one's.
      seed: options.seed,
    });
    if (workers) {
      log(
        `data-parallel: ${workers.count} replicas (${workers.devices === 'gpu' ? 'a process per GPU' : 'worker threads'}), ` +
          "each batch split across them; BatchNorm uses each shard's statistics, as nn.DataParallel",
      );
    }
    atEnd.push(() => trainer.dispose());
    await run.start(trainer);
    // The reference run had no early stopping (the preset's patience is null); best weights come from the saver.
    const earlyStopping =
      options.patience === null ? [] : [new EarlyStopping({ monitor: 'pixelAccuracy', mode: 'max', patience: options.patience, restoreBestWeights: false })];
    const result = await trainer.fit({
      steps: options.iterations,
      evaluateEvery: options.logFreq,
      checkpointEvery: options.saveFreq ?? options.logFreq,
      ...run.fitOptions,
      // Deciders first: the run's reporters print their decisions.
      callbacks: [...earlyStopping, ...run.fitOptions.callbacks],
    });
    const { scores } = await run.finish(result, {
      name: 'test',
      split: test,
      reportImages: REPORT_TEST_IMAGES,
      scores: msrcScores,
      reportLines: (r): ScoreLine[] => {
        const s = msrcScores(r);
        return [
          { label: 'void excluded (MSRC protocol)', ...s.voidExcluded },
          { label: 'void counted as a class', ...s },
        ];
      },
    });
    const { voidExcluded: ve } = scores;
    log(
      `Test (${test.size} images): pixel accuracy ${scores.pixelAccuracy.toFixed(4)}, mIoU ${scores.meanIoU.toFixed(4)}; ` +
        `void excluded: pixel accuracy ${ve.pixelAccuracy.toFixed(4)}, mean accuracy ${ve.meanAccuracy.toFixed(4)}, mIoU ${ve.meanIoU.toFixed(4)}, ` +
        `fwIoU ${ve.frequencyWeightedIoU.toFixed(4)}, boundary F1 ${ve.boundaryF1?.toFixed(4) ?? '–'}`,
    );
    return {
      steps: result.step,
      stoppedEarly: result.stoppedEarly,
      best: { pixelAccuracy: run.bestModel.saved.score, step: run.bestModel.saved.step },
      test: scores,
      outDir: options.out,
    };
  } finally {
    for (const end of atEnd) await end();
    await run?.close();
  }
}
