import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Adam,
  BestModelSaver,
  ConfigMismatchError,
  EarlyStopping,
  type EvaluationResult,
  evaluateSegmentation,
  resumableBatches,
  type SegmentationDataset,
  SeededRng,
  segmentationBatches,
  selectBackend,
  Trainer,
  writeFileAtomic,
} from '@seg/core';
import { deeplabV3Plus, loadTrunkWeights, saveModel, segment } from '@seg/deeplab';
import { MSRC_CLASSES, MSRC_VOID, openMsrc } from '@seg/msrc';
import { trainingAugmentation } from './augment.js';
import { lossWith, type MsrcReplicaArgs, pixelAccuracy } from './msrc-replica.mjs';
import { rgba, writeLabelsPng, writePng } from './images.js';
import { refuseRandomFrozenTrunk, type TrainMsrcOptions, validateOptions } from './options.js';
import { createProgress } from './progress.js';
import { REPORT_ASSETS, RunReport } from './report/run-report.js';
import { writeTriptychs } from './report/triptychs.js';
import { replicaWorkers } from './replicas.js';
import { resolveRunConfig, writeRunConfig } from './run-config.js';
import { checkSplits, openRunFolder, runConfig } from './run-folder.js';
import { RunLog } from './run-log.js';

/** Scores of one evaluation, as written to `metrics.json`. */
export interface SplitScores {
  pixelAccuracy: number;
  meanAccuracy: number;
  meanIoU: number;
  /** The same scores with void pixels left out, as the MSRC literature reports them. */
  voidExcluded: { pixelAccuracy: number; meanAccuracy: number; meanIoU: number };
  perClassIoU: Record<string, number>;
  loss?: number;
}

/** What {@link trainMsrc} ends with. */
export interface TrainMsrcResult {
  steps: number;
  stoppedEarly: boolean;
  best: { pixelAccuracy: number | null; step: number | null };
  test: SplitScores;
  outDir: string;
}

const NUM_CLASSES = MSRC_CLASSES.length;

/** Test images the report shows as input | ground truth | prediction. */
const REPORT_TEST_IMAGES = 5;

function summarize(r: EvaluationResult): SplitScores {
  const noVoid = r.excluded!;
  return {
    pixelAccuracy: r.pixelAccuracy,
    meanAccuracy: r.meanAccuracy,
    meanIoU: r.meanIoU,
    voidExcluded: { pixelAccuracy: noVoid.pixelAccuracy, meanAccuracy: noVoid.meanAccuracy, meanIoU: noVoid.meanIoU },
    perClassIoU: Object.fromEntries(
      MSRC_CLASSES.filter((c) => !Number.isNaN(noVoid.perClassIoU[c.id])).map((c) => [c.name, noVoid.perClassIoU[c.id]]),
    ),
    ...(r.loss !== undefined ? { loss: r.loss } : {}),
  };
}

function subset(dataset: SegmentationDataset, indices: readonly number[]): SegmentationDataset {
  return { size: indices.length, get: (i) => dataset.get(indices[i]) };
}

/** Full-size, one image per batch (MSRC images differ in size), in order. */
function evalBatches(dataset: SegmentationDataset, seed: number) {
  return segmentationBatches(dataset, { batchSize: 1, shuffle: false, seed, normalize: 'imagenet', prefetch: 2 }).epoch(0);
}

/**
 * Trains DeepLabV3+ on MSRC-v2 the way the reference PyTorch run did:
 * separate Adam optimizers for trunk (frozen unless `trainTrunk`), ASPP and
 * decoder (with weight decay), logging train loss/accuracy and the accuracy
 * on `valImages` random validation images every `logFreq` iterations, saving
 * the model whenever that accuracy improves, and resuming from
 * `<out>/checkpoint` with `loadCheckpoint`. Ends with early stopping or after
 * `iterations`, restores the best weights and scores the test split.
 *
 * `out` is locked while the run uses it; a folder holding a checkpoint needs
 * `loadCheckpoint` or `overwrite`.
 */
export async function trainMsrc(
  options: TrainMsrcOptions,
  log: (line: string) => void = console.log,
  showProgress = log === console.log,
): Promise<TrainMsrcResult> {
  validateOptions(options);
  refuseRandomFrozenTrunk(options);
  const lock = await openRunFolder(options, log);
  // What the run started and must end however it ends (the replicas).
  const atEnd: Array<() => Promise<void>> = [];
  try {
    return await trainInRunFolder(options, log, showProgress, atEnd);
  } finally {
    for (const end of atEnd) await end();
    await lock.release();
  }
}

async function trainInRunFolder(
  options: TrainMsrcOptions,
  log: (line: string) => void,
  showProgress: boolean,
  atEnd: Array<() => Promise<void>>,
): Promise<TrainMsrcResult> {
  const config = await resolveRunConfig(options);
  const loss = lossWith(config.classWeights);
  const backend = await selectBackend(options.backend ? [options.backend] : undefined);
  log(`backend: ${backend.name}${backend.device ? ` on ${backend.device}` : ''}${backend.skipped.length ? ` (passed over: ${backend.skipped.map((s) => s.backend).join(', ')})` : ''}`);

  const data = await openMsrc(options.data, { splitDir: options.splitDir });
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
  const workers = await replicaWorkers(options, backend, replicaArgs);
  const model = deeplabV3Plus(replicaArgs.model);
  if (options.trunkWeights) {
    const report = await loadTrunkWeights(model, options.trunkWeights);
    log(`trunk weights: ${report.loaded.length} tensors loaded from ${options.trunkWeights} (${report.ignored.length} ignored)`);
  } else {
    log('trunk weights: none given, the trunk starts from random weights (pass --trunkWeights for ImageNet weights)');
  }

  const out = options.out;
  const checkpointDir = join(out, 'checkpoint');
  await mkdir(join(out, 'images'), { recursive: true });
  const runLog = new RunLog(join(out, 'log.jsonl'));
  const report = new RunReport(out, config, backend.name);
  const saveEvery = options.saveFreq ?? options.logFreq;
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
      {
        name: 'trunk',
        match: model.getLayer(options.backbone),
        frozen: !options.trainTrunk,
        optimizer: new Adam(options.learningRateTrunk),
      },
      { name: 'aspp', match: model.getLayer('aspp'), weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateAspp) },
      { name: 'decoder', weightDecay: options.weightDecay, optimizer: new Adam(options.learningRateDecoder) },
    ],
    // No patience (the reference preset): the run never stops early; the monitor still tracks the best model.
    earlyStopping: new EarlyStopping({ monitor: 'pixelAccuracy', mode: 'max', patience: options.patience ?? Number.MAX_SAFE_INTEGER }),
    bestModel: new BestModelSaver({
      dir: join(out, 'best-model'),
      monitor: 'pixelAccuracy',
      every: saveEvery,
      save: (m, dir) => saveModel(m, dir),
      warn: log,
    }),
    data: trainBatches,
    config: runConfig(options),
    workers,
  });
  if (workers) {
    log(
      `data-parallel: ${workers.count} replicas (${workers.devices === 'gpu' ? 'a process per GPU' : 'worker threads'}), ` +
        'each batch split across them; BatchNorm uses each shard\'s statistics, as nn.DataParallel',
    );
  }
  atEnd.push(() => trainer.dispose());

  if (options.loadCheckpoint) {
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
    const at = trainBatches.position;
    log(`resumed from ${checkpointDir} at iteration ${trainer.step} (epoch ${at.epoch}, batch ${at.batch})`);
  }
  // Only now: a refused resume must leave the earlier run's config.json as it was.
  await writeRunConfig(join(out, 'config.json'), config);

  let window = { loss: 0, acc: 0, n: 0 };
  const validate = async (): Promise<Record<string, number>> => {
    const rng = SeededRng.derive(options.seed, 3, trainer.step);
    const picks = rng.permutation(validation.size).slice(0, Math.min(options.valImages, validation.size));
    const shown = picks[rng.int(picks.length)];
    const sample = await validation.get(shown);
    const r = await evaluateSegmentation(model, evalBatches(subset(validation, picks), options.seed), {
      numClasses: NUM_CLASSES,
      loss,
    });
    const { width, height } = sample.image;
    const { labels: pred } = await segment(model, { data: sample.image.data, width, height, channels: 3 });
    await writePng(join(out, 'images', `${trainer.step}_img.png`), rgba(sample.image), width, height);
    await writeLabelsPng(join(out, 'images', `${trainer.step}_gt.png`), sample.labels, width, height);
    await writeLabelsPng(join(out, 'images', `${trainer.step}_pred.png`), pred, width, height);
    const n = Math.max(window.n, 1);
    say(
      `Iteration: ${trainer.step}, TrainLoss: ${(window.loss / n).toFixed(4)}, TrainAcc: ${(window.acc / n).toFixed(4)}, ` +
        `ValLoss: ${r.loss!.toFixed(4)}, ValAcc: ${r.pixelAccuracy.toFixed(4)}, ValMeanIoU: ${r.meanIoU.toFixed(4)}`,
    );
    const point = {
      step: trainer.step,
      loss: r.loss!,
      pixelAccuracy: r.pixelAccuracy,
      meanIoU: r.meanIoU,
      trainLoss: window.loss / n,
      trainPixelAccuracy: window.acc / n,
    };
    void runLog.write({ type: 'validation', ...point });
    const shot = (kind: string) => `images/${trainer.step}_${kind}.png`;
    report.recordValidation(point, r.confusion, { title: `${sample.id} (validation, iteration ${trainer.step})`, image: shot('img'), truth: shot('gt'), prediction: shot('pred') });
    await report.write(`training: iteration ${trainer.step} of ${options.iterations}`);
    window = { loss: 0, acc: 0, n: 0 };
    return { pixelAccuracy: r.pixelAccuracy, meanIoU: r.meanIoU, loss: r.loss! };
  };

  const progress = showProgress ? createProgress({ total: options.iterations, start: trainer.step, log }) : null;
  const say = (line: string) => (progress ? progress.log(line) : log(line));
  void runLog.write({ type: 'start', time: new Date().toISOString(), step: trainer.step, backend: backend.name });
  // Ctrl-C: the page shows everything up to here; the checkpoint of the last save interval stays as it was.
  const onInterrupt = () => {
    progress?.stop();
    log(`interrupted at iteration ${trainer.step}; writing ${join(out, 'report.html')}`);
    void Promise.all([runLog.write({ type: 'end', time: new Date().toISOString(), step: trainer.step, reason: 'interrupted' }), report.write(`interrupted at iteration ${trainer.step}`)])
      .catch((e: Error) => log(`could not write the report: ${e.message}`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  let stepStarted = Date.now();
  const result = await trainer.fit({
    steps: options.iterations,
    evaluateEvery: options.logFreq,
    evaluate: validate,
    checkpointDir,
    checkpointEvery: saveEvery,
    callbacks: {
      onStepEnd: (s) => {
        window.loss += s.loss;
        window.acc += s.metrics.pixelAccuracy;
        window.n += 1;
        const seconds = (Date.now() - stepStarted) / 1000;
        stepStarted = Date.now();
        void runLog.write({ type: 'step', step: s.step, loss: s.loss, pixelAccuracy: s.metrics.pixelAccuracy, seconds });
        report.recordStep(s.step, s.loss);
        progress?.tick(s.step, s.loss);
      },
      onEvaluate: (step, scores, _verdict, bestModel) => {
        if (bestModel === 'saved') {
          say(`Saved model @iteration ${step} with accuracy ${scores.pixelAccuracy.toFixed(4)} and loss ${scores.loss.toFixed(4)}`);
        } else {
          say(`Skipped saving @iteration ${step}`);
        }
      },
      onCheckpoint: (step) => say(`checkpoint @iteration ${step} in ${checkpointDir}`),
    },
  }).finally(() => {
    process.removeListener('SIGINT', onInterrupt);
    progress?.stop();
  });
  // fit() restored the best weights; this is the model the run reports.
  await saveModel(model, join(out, 'model'));
  const testResult = await evaluateSegmentation(model, evalBatches(test, options.seed), { numClasses: NUM_CLASSES, exclude: [MSRC_VOID], loss });
  const testScores = summarize(testResult);
  log(
    `Test (${test.size} images): pixel accuracy ${testScores.pixelAccuracy.toFixed(4)}, mIoU ${testScores.meanIoU.toFixed(4)}; ` +
      `void excluded: pixel accuracy ${testScores.voidExcluded.pixelAccuracy.toFixed(4)}, mean accuracy ${testScores.voidExcluded.meanAccuracy.toFixed(4)}, mIoU ${testScores.voidExcluded.meanIoU.toFixed(4)}`,
  );
  const summary: TrainMsrcResult = {
    steps: result.step,
    stoppedEarly: result.stoppedEarly,
    best: { pixelAccuracy: result.best?.score ?? null, step: result.best?.step ?? null },
    test: testScores,
    outDir: out,
  };
  await writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const { voidExcluded: ve } = testScores;
  report.recordTest(
    [
      { label: 'void excluded (MSRC protocol)', ...ve },
      { label: 'void counted as a class', pixelAccuracy: testScores.pixelAccuracy, meanAccuracy: testScores.meanAccuracy, meanIoU: testScores.meanIoU },
    ],
    testResult.confusion,
    await writeTriptychs(model, test, out, REPORT_TEST_IMAGES),
    test.size,
  );
  void runLog.write({ type: 'test', step: result.step, pixelAccuracy: testScores.pixelAccuracy, meanAccuracy: testScores.meanAccuracy, meanIoU: testScores.meanIoU, voidExcluded: ve });
  const reason = result.stoppedEarly ? 'stopped early' : 'finished';
  void runLog.write({ type: 'end', time: new Date().toISOString(), step: result.step, reason });
  const page = await report.write(`${reason} at iteration ${result.step}`);
  await runLog.flush();
  log(`report: ${page} (plots and images in ${join(out, REPORT_ASSETS)})`);
  model.dispose();
  return summary;
}
