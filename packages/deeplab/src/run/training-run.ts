/**
 * A training run in a folder: what `seg-deeplab train` and train-msrc write
 * (`config.json`, `log.jsonl`, `checkpoint/`, `best-model/`, `model/`,
 * validation snapshots, `metrics.json`, `report.html`), the guarantees they
 * keep (lock, resume, `--overwrite` scoped to what runs wrote, a NaN stop
 * that saves nothing), and the progress bar, as callbacks and arguments for
 * any `Trainer.fit`.
 *
 * @module
 */
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BestModelSaver,
  ConfigMismatchError,
  type EvaluationReport,
  type EvaluationResult,
  type FitResult,
  type SegmentationDataset,
  type SegmentationLoss,
  type SegmentationMetrics,
  type Trainer,
  type TrainingCallback,
} from '@seg/core';
import type { ProgressSink } from '../cli/progress.js';
import { classPalette, type ModelClass, setModelClasses } from '../classes/model-classes.js';
import { saveModel } from '../model/model-files.js';
import { consoleLines } from './callbacks/console-lines.js';
import { progressBar } from './callbacks/progress-bar.js';
import { reportWriter } from './callbacks/report-writer.js';
import { runLogWriter } from './callbacks/run-log-writer.js';
import { validationSnapshots } from './callbacks/snapshots.js';
import { TrainingWindow } from './callbacks/training-window.js';
import { paintingPalette } from './images.js';
import type { ScoreLine } from './report/html.js';
import { RunReport } from './report/run-report.js';
import { writeTriptychs } from './report/triptychs.js';
import { exists, RUN_FILES, type RunOutputs } from './run-files.js';
import { openRunFolder, type RunFolder } from './run-folder.js';
import { RunLog } from './run-log.js';
import { pixelAccuracyWith } from './segmentation-replica.js';
import { scoreSplit, type SplitScores, splitScores, summaryScores } from './split-scores.js';
import { createProgress, type Progress } from './training-progress.js';
import { Validation } from './validation.js';

/** Options of {@link TrainingRun.open}. */
export interface TrainingRunOptions {
  /** The run folder. Required. */
  out: string;
  /** The loss, also reported on the validation split. Required. */
  loss: SegmentationLoss;
  /** The classes in id order, with their colours (a dataset's `classes` and `palette`). Required. */
  classes: readonly ModelClass[];
  /** The split scored at each evaluation. Required. */
  validation: SegmentationDataset;
  /** The step the run trains to (for the progress bar and the report). Required. */
  steps: number;
  /** Continue the run whose checkpoint `out` holds. Default false. */
  resume?: boolean;
  /** Start afresh, first removing what earlier runs wrote in `out` (and only that). Default false. */
  overwrite?: boolean;
  /** Configuration keys a resume may change (besides the step budget). Default none. */
  allowConfigChange?: readonly string[];
  /** The run's configuration: written to `config.json` and shown in the report. Default `{}`. */
  config?: Record<string, unknown>;
  /** Ground-truth id no score counts (the dataset's `ignoreIndex`). Default none. */
  ignoreIndex?: number;
  /** Classes trained but left out of the per-class scores (MSRC's void). Default none. */
  exclude?: readonly number[];
  /** Images scored at each evaluation, a seeded random subset. Default: the whole split. */
  valImages?: number;
  /** The validation score the best model is chosen by. Default `'meanIoU'`. */
  monitor?: 'meanIoU' | 'pixelAccuracy' | 'loss';
  /** Check for a better model every this many steps (an evaluation must fall on them). Default: at every evaluation. */
  saveEvery?: number;
  /** Seed of the validation subsets. Default 0. */
  seed?: number;
  /** The backend's name, for the log and the report. Default: unnamed. */
  backend?: string;
  /** The loss's name, for the report. Default `'loss'`. */
  lossName?: string;
  /** Where lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** A progress bar with the ETA on a terminal, plain lines elsewhere; `false`: none. Default: on stderr when `log` is `console.log`. */
  progress?: boolean | ProgressSink;
  /** On Ctrl-C, end `log.jsonl`, write the report and exit 130. Default true. */
  exitOnInterrupt?: boolean;
  /** The flag that asks to resume, as messages name it. Default `'--resume'`. */
  resumeFlag?: string;
  /** The program, as messages and the report's title name it. Default `'seg-deeplab train'`. */
  program?: string;
}

/** What {@link TrainingRun.finish} wrote to `metrics.json`. */
export interface TrainingRunMetrics {
  steps: number;
  stoppedEarly: boolean;
  /** The best saved model's monitored validation score (under the monitor's name, e.g. `meanIoU`) and its step. */
  best: { [monitor: string]: number | null; step: number | null };
  outDir: string;
  /** The scores of the evaluated split, under its name (`val`, `test`, …). */
  [split: string]: unknown;
}

/** Options of {@link TrainingRun.finish}. */
export interface FinishOptions<S extends SplitScores = SplitScores> {
  /** The split's name: the key of its scores in `metrics.json`. Default `'val'`. */
  name?: string;
  /** The split scored with the final model. Default: the validation split. */
  split?: SegmentationDataset;
  /** Images shown in the report with their predictions. Default 5. */
  reportImages?: number;
  /** `metrics.json`'s scores from the evaluation (MSRC adds its void-excluded view). Default {@link splitScores}. */
  scores?: (result: EvaluationResult) => S;
  /** The report's score lines. Default one, every class counted. */
  reportLines?: (result: EvaluationResult) => ScoreLine[];
}

/**
 * A training run in a folder. Open it (which locks the folder and checks
 * that nothing is lost by starting there), pass {@link TrainingRun.bestModel}
 * to the `Trainer`, {@link TrainingRun.start} it, train with
 * {@link TrainingRun.fitOptions}, and {@link TrainingRun.finish} with the
 * evaluated split; {@link TrainingRun.close} always.
 *
 * @example
 * ```ts
 * const run = await TrainingRun.open({ out: 'runs/voc', loss, classes, validation: data.split('val'), steps: 2000 });
 * try {
 *   const trainer = new Trainer({ model, loss, data: batches, metrics: run.metrics, config: run.config });
 *   await run.start(trainer);
 *   const result = await trainer.fit({ steps: 2000, evaluateEvery: 200, ...run.fitOptions });
 *   await run.finish(result);
 *   await trainer.dispose();
 * } finally {
 *   await run.close();
 * }
 * ```
 */
export class TrainingRun {
  /** Saves `best-model/` whenever the monitored validation score improves and restores its weights when `fit` ends; the first of {@link TrainingRun.callbacks}. */
  readonly bestModel: BestModelSaver;
  /** Where `fit` writes its checkpoints. */
  readonly checkpointDir: string;
  /** The configuration a resume is checked against (the step budget left out: training longer continues the run). */
  readonly config: Record<string, unknown>;
  private trainer: Trainer | null = null;
  private runLog: RunLog | null = null;
  private report: RunReport | null = null;
  private progressDisplay: Progress | null = null;
  private validationRun: Validation | null = null;
  private readonly window = new TrainingWindow();
  private readonly log: (line: string) => void;
  private onInterrupt: (() => void) | null = null;

  private constructor(
    private readonly options: TrainingRunOptions,
    private readonly folder: RunFolder,
    private readonly newFolder: boolean,
  ) {
    this.log = options.log ?? console.log;
    this.checkpointDir = join(options.out, RUN_FILES.checkpoint);
    this.config = options.config ?? {};
    const every = options.saveEvery;
    this.bestModel = new BestModelSaver({
      dir: join(options.out, RUN_FILES.bestModel),
      monitor: options.monitor ?? 'meanIoU',
      mode: options.monitor === 'loss' ? 'min' : 'max',
      ...(every !== undefined ? { every } : {}),
      restoreBestWeights: true,
      warn: this.log,
    });
  }

  /**
   * Locks `options.out` and checks that starting there loses nothing (see
   * `openRunFolder`); nothing is written yet.
   *
   * @throws Naming the folder and the flag to pass, when it holds an earlier run's checkpoint or files no run wrote.
   */
  static async open(options: TrainingRunOptions): Promise<TrainingRun> {
    const log = options.log ?? console.log;
    const newFolder = !(await exists(options.out));
    try {
      const folder = await openRunFolder(
        { out: options.out, resume: options.resume, overwrite: options.overwrite, resumeFlag: options.resumeFlag, program: options.program ?? 'seg-deeplab train' },
        log,
      );
      return new TrainingRun(options, folder, newFolder);
    } catch (e) {
      if (newFolder) await rmdir(options.out).catch(() => undefined);
      throw e;
    }
  }

  /** The run folder's record of what runs wrote. */
  get outputs(): RunOutputs {
    return this.folder.outputs;
  }

  /** The latest validation's outcome (scores, confusion matrix, shown image). */
  get validation(): Validation {
    if (!this.validationRun) throw new Error('TrainingRun: call start(trainer) first');
    return this.validationRun;
  }

  /**
   * Resumes the trainer from the checkpoint when asked to, then records and
   * writes the run's description (`config.json`) and opens `log.jsonl`:
   * a run refused here (a bad resume) leaves an earlier run's files as they were.
   *
   * @throws Naming the changed options and the flags that would accept them, when the checkpoint was written with another configuration.
   */
  async start(trainer: Trainer): Promise<void> {
    const o = this.options;
    this.trainer = trainer;
    // Saved with the model (best-model/, model/): seg-deeplab then names the classes and paints label PNGs in their colours.
    setModelClasses(trainer.model, o.classes);
    if (o.resume) {
      await this.restore(trainer);
      this.log(`resumed from ${this.checkpointDir} at iteration ${trainer.step}${dataPosition(trainer)}`);
    }
    const { outputs } = this.folder;
    // The trainer and the best-model saver write during the run, so their folders are recorded before.
    await outputs.record(`${RUN_FILES.checkpoint}/`);
    await outputs.record(`${RUN_FILES.bestModel}/`);
    await outputs.write(RUN_FILES.config, `${JSON.stringify(this.config, null, 2)}\n`);
    await outputs.record(RUN_FILES.log);
    this.runLog = new RunLog(join(o.out, RUN_FILES.log));
    // The steps after the checkpoint are trained again: the log keeps them once, from this attempt.
    if (o.resume) await this.runLog.dropAfter(trainer.step);
    this.report = new RunReport(outputs, {
      title: `${o.program ?? 'seg-deeplab train'} run: ${o.out}`,
      classes: o.classes,
      exclude: o.exclude,
      config: this.config,
      backend: o.backend ?? 'unnamed',
      lossName: o.lossName,
    });
    const sink = o.progress === undefined ? (o.log === undefined || o.log === console.log ? undefined : false) : o.progress;
    if (sink !== false) this.progressDisplay = createProgress({ total: o.steps, start: trainer.step, log: this.log, ...(sink === true || sink === undefined ? {} : { sink }) });
    this.validationRun = new Validation(trainer.model, o.validation, {
      numClasses: o.classes.length,
      loss: o.loss,
      valImages: o.valImages,
      seed: o.seed ?? 0,
      exclude: [...(o.exclude ?? [])],
      ignoreIndex: o.ignoreIndex,
    });
    if (o.exitOnInterrupt ?? true) this.catchInterrupt(trainer);
  }

  /** The training metric the console lines, the log and the report read (pixel accuracy), for the `Trainer`'s `metrics`. */
  get metrics(): SegmentationMetrics {
    return { pixelAccuracy: pixelAccuracyWith(this.options.ignoreIndex ?? null) };
  }

  /** `evaluate`, `checkpointDir` and `callbacks` for `Trainer.fit`. */
  get fitOptions(): { evaluate: () => Promise<EvaluationReport>; checkpointDir: string; callbacks: TrainingCallback[] } {
    return { evaluate: this.evaluate, checkpointDir: this.checkpointDir, callbacks: this.callbacks };
  }

  /** Scores the validation split at the trainer's step, with its confusion matrix and a snapshot, for `fit`'s `evaluate`. */
  readonly evaluate = (): Promise<EvaluationReport> => {
    if (!this.trainer) throw new Error('TrainingRun: call start(trainer) first');
    return this.validation.run(this.trainer.step);
  };

  /**
   * The run's callbacks, in the order they must run: the best-model saver
   * (a decider; put early stopping before the list), the training window
   * (closed at each evaluation before the others read it), validation
   * snapshots, the report, `log.jsonl`, console lines and the progress bar.
   */
  get callbacks(): TrainingCallback[] {
    const { report, runLog } = this;
    if (!report || !runLog) throw new Error('TrainingRun: call start(trainer) first');
    const o = this.options;
    const palette = paintingPalette(classPalette(o.classes) ?? [], o.ignoreIndex);
    const progress = this.progressDisplay;
    const say = (line: string) => (progress ? progress.log(line) : this.log(line));
    return [
      this.bestModel,
      this.window,
      validationSnapshots(this.folder.outputs, palette),
      reportWriter(report, o.steps, this.window),
      runLogWriter(runLog, o.backend ?? 'unnamed', this.window),
      consoleLines(say, this.window, this.bestModel),
      ...(progress ? [progressBar(progress)] : []),
    ];
  }

  /**
   * Ends a run that trained: saves `model/` (the best model's weights, which
   * `fit` put back), scores `split` with it and writes `metrics.json`, the
   * report's final page with the per-class table, confusion matrix and
   * images, and the log's last records.
   */
  async finish<S extends SplitScores = SplitScores>(result: FitResult, finish: FinishOptions<S> = {}): Promise<{ metrics: TrainingRunMetrics; evaluation: EvaluationResult; scores: S }> {
    const o = this.options;
    const { report, runLog, trainer } = this;
    if (!report || !runLog || !trainer) throw new Error('TrainingRun: call start(trainer) first');
    const { model } = trainer;
    try {
      const { outputs } = this.folder;
      await outputs.record(`${RUN_FILES.model}/`);
      await saveModel(model, join(o.out, RUN_FILES.model));
      const name = finish.name ?? 'val';
      const split = finish.split ?? o.validation;
      const classNames = o.classes.map((c) => c.name);
      const scoring = { classNames, exclude: o.exclude, ignoreIndex: o.ignoreIndex };
      const evaluation = await scoreSplit(model, split, { ...scoring, loss: o.loss, seed: o.seed });
      const scores = (finish.scores ?? ((r: EvaluationResult) => splitScores(r, scoring) as S))(evaluation);
      const metrics: TrainingRunMetrics = {
        steps: result.step,
        stoppedEarly: result.stoppedEarly,
        best: { [this.bestModel.monitor]: this.bestModel.saved.score, step: this.bestModel.saved.step },
        [name]: scores,
        outDir: o.out,
      };
      await outputs.write(RUN_FILES.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
      const palette = paintingPalette(classPalette(o.classes) ?? [], o.ignoreIndex);
      const lines = finish.reportLines?.(evaluation) ?? [{ label: 'every class', ...summaryScores(evaluation) }];
      report.recordTest(
        name,
        lines,
        evaluation.confusion,
        (evaluation.excluded ?? evaluation).boundaryF1,
        await writeTriptychs(model, split, outputs, finish.reportImages ?? 5, palette),
        split.size,
      );
      const excluded = evaluation.excluded;
      void runLog.write({
        type: 'test',
        step: result.step,
        ...(name === 'test' ? {} : { split: name }),
        pixelAccuracy: evaluation.pixelAccuracy,
        meanAccuracy: evaluation.meanAccuracy,
        meanIoU: evaluation.meanIoU,
        ...(excluded ? { voidExcluded: { pixelAccuracy: excluded.pixelAccuracy, meanAccuracy: excluded.meanAccuracy, meanIoU: excluded.meanIoU } } : {}),
      });
      const reason = result.stoppedEarly ? 'stopped early' : 'finished';
      void runLog.write({ type: 'end', time: new Date().toISOString(), step: result.step, reason });
      const page = await report.write(`${reason} at iteration ${result.step}`);
      this.log(`report: ${page} (plots and images in ${join(o.out, RUN_FILES.reportAssets)})`);
      return { metrics, evaluation, scores };
    } finally {
      await runLog.flush();
    }
  }

  /** Releases the folder's lock and the Ctrl-C handler; a run that failed before writing anything leaves no empty folder behind. */
  async close(): Promise<void> {
    if (this.onInterrupt) process.removeListener('SIGINT', this.onInterrupt);
    this.progressDisplay?.stop();
    await this.runLog?.flush();
    await this.folder.lock.release();
    // The lock made the folder: rmdir refuses a non-empty one.
    if (this.newFolder) await rmdir(this.options.out).catch(() => undefined);
  }

  /** `trainer.restore` with a configuration mismatch put in the command line's terms. */
  private async restore(trainer: Trainer): Promise<void> {
    const flag = this.options.resumeFlag ?? '--resume';
    try {
      await trainer.restore(this.checkpointDir, { allowConfigChanges: this.options.allowConfigChange ?? [] });
    } catch (e) {
      if (!(e instanceof ConfigMismatchError)) throw e;
      const keys = e.changes.map((c) => c.key);
      throw new Error(
        `${flag}: ${this.checkpointDir} was written with other options (${e.changes.map((c) => `--${c.key} ${c.saved ?? '(unset)'} → ${c.current ?? '(unset)'}`).join(', ')}); ` +
          `pass the same values, or --allowConfigChange ${keys.join(',')} to continue with the new ones, or --overwrite to start again`,
      );
    }
  }

  /** Ctrl-C: the page shows everything up to here; the checkpoint of the last save interval stays as it was. */
  private catchInterrupt(trainer: Trainer): void {
    const { out } = this.options;
    this.onInterrupt = () => {
      this.progressDisplay?.stop();
      this.log(`interrupted at iteration ${trainer.step}; writing ${join(out, RUN_FILES.report)}`);
      void Promise.all([
        this.runLog?.write({ type: 'end', time: new Date().toISOString(), step: trainer.step, reason: 'interrupted' }),
        this.report?.write(`interrupted at iteration ${trainer.step}`),
      ])
        .catch((e: Error) => this.log(`could not write the report: ${e.message}`))
        .finally(() => process.exit(130));
    };
    process.once('SIGINT', this.onInterrupt);
  }
}

/** ` (epoch e, batch b)` when the trainer's data stream tells its position. */
function dataPosition(trainer: Trainer): string {
  const at = (trainer.data as { position?: { epoch: number; batch: number } } | undefined)?.position;
  return at ? ` (epoch ${at.epoch}, batch ${at.batch})` : '';
}
