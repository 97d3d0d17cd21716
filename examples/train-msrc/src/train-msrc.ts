import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Adam, BestModelSaver, ConfigMismatchError, EarlyStopping, resumableBatches, segmentationBatches, selectBackend, Trainer } from '@seg/core';
import { deeplabV3Plus, loadTrunkWeights, saveModel, setModelClasses } from '@seg/deeplab';
import { openDataset } from '@seg/datasets';
import { MSRC_CLASSES, MSRC_VOID } from '@seg/msrc';
import { trainingAugmentation } from './augment.js';
import { consoleLines } from './callbacks/console-lines.js';
import { progressBar } from './callbacks/progress-bar.js';
import { reportWriter } from './callbacks/report-writer.js';
import { runLogWriter } from './callbacks/run-log-writer.js';
import { validationSnapshots } from './callbacks/snapshots.js';
import { TrainingWindow } from './callbacks/training-window.js';
import { lossWith, type MsrcReplicaArgs, pixelAccuracy } from './msrc-replica.mjs';
import { refuseRandomFrozenTrunk, type TrainMsrcOptions, validateOptions } from './options.js';
import { createProgress } from './progress.js';
import { RunReport } from './report/run-report.js';
import { writeTriptychs } from './report/triptychs.js';
import { replicaWorkers } from './replicas.js';
import { resolveRunConfig, runConfigJson } from './run-config.js';
import { exists, RUN_FILES } from './run-files.js';
import { checkSplits, openRunFolder, type RunFolder, runConfig } from './run-folder.js';
import { RunLog } from './run-log.js';
import { scoreTestSplit, type SplitScores } from './test-split.js';
import { Validation } from './validation.js';

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
 * `out` is locked while the run uses it; a folder holding a checkpoint needs
 * `loadCheckpoint` or `overwrite`, and files no run wrote are never written
 * over. Whatever fails (a replica, a NaN, the disk), the run rejects naming
 * it, the last good checkpoint stays, and the lock is released.
 */
export async function trainMsrc(
  options: TrainMsrcOptions,
  log: (line: string) => void = console.log,
  showProgress = log === console.log,
): Promise<TrainMsrcResult> {
  validateOptions(options);
  refuseRandomFrozenTrunk(options);
  const newFolder = !(await exists(options.out));
  try {
    const folder = await openRunFolder(options, log);
    // What the run started and must end however it ends (the replicas).
    const atEnd: Array<() => Promise<void>> = [];
    try {
      return await trainInRunFolder(options, folder, log, showProgress, atEnd);
    } finally {
      for (const end of atEnd) await end();
      await folder.lock.release();
    }
  } finally {
    // The lock made the folder: a run that failed before writing anything leaves no empty one behind (rmdir refuses a non-empty one).
    if (newFolder) await rmdir(options.out).catch(() => undefined);
  }
}

async function trainInRunFolder(
  options: TrainMsrcOptions,
  { outputs }: RunFolder,
  log: (line: string) => void,
  showProgress: boolean,
  atEnd: Array<() => Promise<void>>,
): Promise<TrainMsrcResult> {
  const out = options.out;
  const config = await resolveRunConfig(options);
  const loss = lossWith(config.classWeights);
  const backend = await selectBackend(options.backend ? [options.backend] : undefined);
  const passedOver = backend.skipped.map((s) => s.backend).join(', ');
  log(`backend: ${backend.name}${backend.device ? ` on ${backend.device}` : ''}${passedOver ? ` (passed over: ${passedOver})` : ''}`);

  const data = await openDataset(options.data, { format: 'msrc', splitDir: options.splitDir });
  checkSplits(data);
  const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => data.split(s));
  log(`MSRC at ${data.root}: ${train.size} train, ${validation.size} validation, ${test.size} test images`);

  // JSON, so that every data-parallel replica builds the same model from it.
  const replicaArgs: MsrcReplicaArgs = {
    model: {
      backbone: options.backbone,
      outputStride: options.outputStride,
      numClasses: NUM_CLASSES,
      backboneOptions: options.backboneOptions,
      ...(options.decoderChannels ? { decoderChannels: options.decoderChannels } : {}),
      asppRates: config.asppRates,
      asppBias: config.asppBias,
      asppBranchDropout: config.asppBranchDropout,
      dropout: config.asppDropout,
      spatialDropout: config.spatialDropout,
      decoderDropout: config.decoderDropout,
    },
    classWeights: config.classWeights,
  };
  const workers = await replicaWorkers(options, backend, replicaArgs, log);
  // Seeded: the same --seed, the same initial weights (replicas take the trainer's weights at every step).
  const model = deeplabV3Plus({ ...replicaArgs.model, seed: options.seed });
  // Saved with the model: seg-deeplab then names MSRC's classes and paints its label PNGs in their colours.
  setModelClasses(model, MSRC_CLASSES.map((c) => ({ name: c.name, color: c.rgb })));
  if (options.trunkWeights) {
    const report = await loadTrunkWeights(model, options.trunkWeights);
    log(`trunk weights: ${report.loaded.length} tensors loaded from ${options.trunkWeights} (${report.ignored.length} ignored)`);
  } else {
    log('trunk weights: none given, the trunk starts from random weights (pass --trunkWeights for ImageNet weights)');
  }

  const checkpointDir = join(out, RUN_FILES.checkpoint);
  const bestModel = new BestModelSaver({
    dir: join(out, RUN_FILES.bestModel),
    monitor: 'pixelAccuracy',
    every: options.saveFreq ?? options.logFreq,
    // The reference run scored the test split with the best saved model.
    restoreBestWeights: true,
    warn: log,
  });
  // The reference run had no early stopping (the preset's patience is null); best weights come from the saver.
  const earlyStopping =
    options.patience === null ? null : new EarlyStopping({ monitor: 'pixelAccuracy', mode: 'max', patience: options.patience, restoreBestWeights: false });
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
    metrics: { pixelAccuracy },
    groups: [
      { name: 'trunk', match: model.getLayer(options.backbone), frozen: !options.trainTrunk, optimizer: new Adam(options.learningRateTrunk) },
      { name: 'aspp', match: model.getLayer('aspp'), weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateAspp) },
      { name: 'decoder', weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateDecoder) },
    ],
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

  if (options.loadCheckpoint) {
    await restoreRun(trainer, checkpointDir, options);
    const at = trainBatches.position;
    log(`resumed from ${checkpointDir} at iteration ${trainer.step} (epoch ${at.epoch}, batch ${at.batch})`);
  }
  // Only now, once the data, the model and any checkpoint have loaded: a run that fails before
  // it starts (a bad --data, a refused resume) writes nothing, and leaves an earlier run's files as they were.
  // The trainer and the best-model saver write during the run, so their folders are recorded before.
  await outputs.record(`${RUN_FILES.checkpoint}/`);
  await outputs.record(`${RUN_FILES.bestModel}/`);
  await outputs.write(RUN_FILES.config, runConfigJson(config));

  await outputs.record(RUN_FILES.log);
  const runLog = new RunLog(join(out, RUN_FILES.log));
  // The steps after the checkpoint are trained again: the log keeps them once, from this attempt.
  if (options.loadCheckpoint) await runLog.dropAfter(trainer.step);
  const report = new RunReport(outputs, config, backend.name);
  const progress = showProgress ? createProgress({ total: options.iterations, start: trainer.step, log }) : null;
  const say = (line: string) => (progress ? progress.log(line) : log(line));
  const validate = new Validation(model, validation, { numClasses: NUM_CLASSES, loss, valImages: options.valImages, seed: options.seed, exclude: [MSRC_VOID] });
  const window = new TrainingWindow();

  // Ctrl-C: the page shows everything up to here; the checkpoint of the last save interval stays as it was.
  const onInterrupt = () => {
    progress?.stop();
    log(`interrupted at iteration ${trainer.step}; writing ${join(out, RUN_FILES.report)}`);
    void Promise.all([runLog.write({ type: 'end', time: new Date().toISOString(), step: trainer.step, reason: 'interrupted' }), report.write(`interrupted at iteration ${trainer.step}`)])
      .catch((e: Error) => log(`could not write the report: ${e.message}`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  const result = await trainer
    .fit({
      steps: options.iterations,
      evaluateEvery: options.logFreq,
      evaluate: () => validate.run(trainer.step),
      checkpointDir,
      checkpointEvery: options.saveFreq ?? options.logFreq,
      // Deciders first (the reporters print their decisions); the window closes at each evaluation before the others read it.
      callbacks: [
        ...(earlyStopping ? [earlyStopping] : []),
        bestModel,
        window,
        validationSnapshots(outputs),
        reportWriter(report, options.iterations, window),
        runLogWriter(runLog, backend.name, window),
        consoleLines(say, window, bestModel),
        ...(progress ? [progressBar(progress)] : []),
      ],
    })
    .finally(async () => {
      process.removeListener('SIGINT', onInterrupt);
      await runLog.flush();
    });

  // fit() put the best saved model's weights back: the model the run reports.
  await outputs.record(`${RUN_FILES.model}/`);
  await saveModel(model, join(out, RUN_FILES.model));
  const { result: testResult, scores: testScores } = await scoreTestSplit(model, test, loss, options.seed);
  const { voidExcluded: ve } = testScores;
  log(
    `Test (${test.size} images): pixel accuracy ${testScores.pixelAccuracy.toFixed(4)}, mIoU ${testScores.meanIoU.toFixed(4)}; ` +
      `void excluded: pixel accuracy ${ve.pixelAccuracy.toFixed(4)}, mean accuracy ${ve.meanAccuracy.toFixed(4)}, mIoU ${ve.meanIoU.toFixed(4)}, ` +
      `fwIoU ${ve.frequencyWeightedIoU.toFixed(4)}, boundary F1 ${ve.boundaryF1?.toFixed(4) ?? '–'}`,
  );
  const summary: TrainMsrcResult = {
    steps: result.step,
    stoppedEarly: result.stoppedEarly,
    best: { pixelAccuracy: bestModel.saved.score, step: bestModel.saved.step },
    test: testScores,
    outDir: out,
  };
  await outputs.write(RUN_FILES.metrics, `${JSON.stringify(summary, null, 2)}\n`);
  report.recordTest(
    [
      { label: 'void excluded (MSRC protocol)', ...ve },
      { label: 'void counted as a class', ...testScores },
    ],
    testResult.confusion,
    testResult.excluded?.boundaryF1,
    await writeTriptychs(model, test, outputs, REPORT_TEST_IMAGES),
    test.size,
  );
  void runLog.write({ type: 'test', step: result.step, pixelAccuracy: testScores.pixelAccuracy, meanAccuracy: testScores.meanAccuracy, meanIoU: testScores.meanIoU, voidExcluded: ve });
  const reason = result.stoppedEarly ? 'stopped early' : 'finished';
  void runLog.write({ type: 'end', time: new Date().toISOString(), step: result.step, reason });
  const page = await report.write(`${reason} at iteration ${result.step}`);
  await runLog.flush();
  log(`report: ${page} (plots and images in ${join(out, RUN_FILES.reportAssets)})`);
  model.dispose();
  return summary;
}

/** `trainer.restore` with a configuration mismatch put in the command line's terms. */
async function restoreRun(trainer: Trainer, checkpointDir: string, options: TrainMsrcOptions): Promise<void> {
  try {
    await trainer.restore(checkpointDir, { allowConfigChanges: options.allowConfigChange });
  } catch (e) {
    if (!(e instanceof ConfigMismatchError)) throw e;
    const keys = e.changes.map((c) => c.key);
    throw new Error(
      `--loadCheckpoint: ${checkpointDir} was written with other options (${e.changes.map((c) => `--${c.key} ${c.saved ?? '(unset)'} → ${c.current ?? '(unset)'}`).join(', ')}); ` +
        `pass the same values, or --allowConfigChange ${keys.join(',')} to continue with the new ones, or --overwrite to start again`,
    );
  }
}
