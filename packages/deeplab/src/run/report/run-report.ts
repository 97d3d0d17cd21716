import { type BoundaryScores, ConfusionMatrix } from '@seg/core';
import type { ModelClass } from '../../classes/model-classes.js';
import { RUN_FILES, type RunOutputs } from '../run-files.js';
import { perClassTable } from '../split-scores.js';
import { type CurvePoint, confusionSpec, curveSpec, renderSvg, thin } from './charts.js';
import { type ReportPage, reportHtml, type ScoreLine } from './html.js';

/** A validation as the report plots it. */
export interface ValidationPoint {
  step: number;
  loss: number;
  pixelAccuracy: number;
  meanIoU: number;
  trainLoss: number;
  trainPixelAccuracy: number;
}

/** Paths relative to the run folder. */
export interface Triptych {
  title: string;
  image: string;
  truth: string;
  prediction: string;
}

/** What a report names: the run's title, its classes, configuration and backend. */
export interface RunReportOptions {
  /** The page's title. */
  title: string;
  /** The classes in id order, with their colours. */
  classes: readonly ModelClass[];
  /** Classes left out of the per-class table (MSRC's void). Default none. */
  exclude?: readonly number[];
  /** The run's configuration, shown as a table. */
  config: Record<string, unknown>;
  backend: string;
  /** The loss's name, the loss plot's axis. Default `'loss'`. */
  lossName?: string;
}

/** Points kept per curve: enough to see every trend, small enough for a light SVG. */
const MAX_CURVE_POINTS = 1500;

/**
 * Collects what a run reports and writes `<out>/report.html` with its plots
 * (`<out>/report/*.svg`) from it. Every write replaces the files atomically,
 * so the page on disk is always a whole one; writes are queued, never
 * interleaved.
 */
export class RunReport {
  private readonly steps: { step: number; loss: number }[] = [];
  private readonly validations: ValidationPoint[] = [];
  private confusion: { source: string; matrix: ConfusionMatrix; boundary: BoundaryScores | undefined } | null = null;
  private test: ReportPage['test'] = null;
  private triptychs: Triptych[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly outputs: RunOutputs,
    private readonly args: RunReportOptions,
  ) {}

  recordStep(step: number, loss: number): void {
    this.steps.push({ step, loss });
  }

  /** `boundary`: the validation's boundary F1 with void removed, for the per-class table. */
  recordValidation(point: ValidationPoint, confusion: ConfusionMatrix, boundary: BoundaryScores | undefined, triptych: Triptych): void {
    this.validations.push(point);
    this.confusion = { source: `the validation at iteration ${point.step}`, matrix: copyOf(confusion), boundary };
    this.triptychs = [triptych];
  }

  /** The split evaluated at the end: its score lines (one per view), confusion matrix, boundary scores and images. */
  recordTest(split: string, scores: ScoreLine[], confusion: ConfusionMatrix, boundary: BoundaryScores | undefined, triptychs: Triptych[], images: number): void {
    this.test = { split, lines: scores };
    this.confusion = { source: `the ${split} split (${images} images)`, matrix: copyOf(confusion), boundary };
    this.triptychs = triptychs;
  }

  /** Writes the page and its plots; resolves to the page's path. */
  write(status: string): Promise<string> {
    const done = this.queue.then(() => this.render(status));
    this.queue = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async render(status: string): Promise<string> {
    const { classes, exclude = [] } = this.args;
    const names = classes.map((c) => c.name);
    const charts: { title: string; file: string; spec: Record<string, unknown> }[] = [];
    const v = this.validations;
    const lossPoints: CurvePoint[] = [
      ...thin(this.steps, MAX_CURVE_POINTS).map((s) => ({ step: s.step, value: s.loss, series: 'training loss (per step)', dense: true })),
      ...v.map((x) => ({ step: x.step, value: x.trainLoss, series: 'training loss (mean since last validation)' })),
      ...v.map((x) => ({ step: x.step, value: x.loss, series: 'validation loss' })),
    ];
    charts.push({ title: 'Loss', file: `${RUN_FILES.reportAssets}/loss.svg`, spec: curveSpec('Loss', this.args.lossName ?? 'loss', lossPoints) });
    const scorePoints: CurvePoint[] = [
      ...v.map((x) => ({ step: x.step, value: x.trainPixelAccuracy, series: 'training pixel accuracy' })),
      ...v.map((x) => ({ step: x.step, value: x.pixelAccuracy, series: 'validation pixel accuracy' })),
      ...v.map((x) => ({ step: x.step, value: x.meanIoU, series: 'validation mIoU' })),
    ];
    charts.push({ title: 'Pixel accuracy and mIoU', file: `${RUN_FILES.reportAssets}/scores.svg`, spec: curveSpec('Pixel accuracy and mIoU', 'score', scorePoints) });
    let perClass: ReportPage['perClass'] = null;
    if (this.confusion) {
      const { source, matrix, boundary } = this.confusion;
      charts.push({ title: 'Confusion matrix', file: `${RUN_FILES.reportAssets}/confusion.svg`, spec: confusionSpec(`Confusion matrix: ${source}`, names, matrix.counts) });
      const colors = new Map(classes.map((c) => [c.name, c.color]));
      const table = perClassTable(matrix, boundary, { classNames: names, exclude });
      perClass = { source, excluded: exclude.map((id) => names[id]), rows: Object.entries(table).map(([name, scores]) => ({ name, color: colors.get(name), ...scores })) };
    }
    for (const c of charts) await this.outputs.write(c.file, await renderSvg(c.spec));
    const last = v.at(-1);
    const html = reportHtml({
      title: this.args.title,
      status,
      updated: new Date().toISOString(),
      backend: this.args.backend,
      config: this.args.config,
      charts: charts.map(({ title, file }) => ({ title, file })),
      perClass,
      test: this.test,
      latestValidation: last ? { step: last.step, loss: last.loss, pixelAccuracy: last.pixelAccuracy, meanIoU: last.meanIoU } : null,
      triptychs: this.triptychs,
    });
    await this.outputs.write(RUN_FILES.report, html);
    return `${this.outputs.dir}/${RUN_FILES.report}`;
  }
}

/** The caller's matrix keeps accumulating or is reset; the report keeps its own counts. */
function copyOf(m: ConfusionMatrix): ConfusionMatrix {
  return new ConfusionMatrix(m.numClasses).merge(m);
}
