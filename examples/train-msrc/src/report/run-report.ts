import { type BoundaryScores, ConfusionMatrix } from '@seg/core';
import { MSRC_CLASSES } from '@seg/msrc';
import { RUN_FILES, type RunOutputs } from '../run-files.js';
import type { RunConfig } from '../run-config.js';
import { perClassTable } from '../test-split.js';
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
  private test: ScoreLine[] | null = null;
  private triptychs: Triptych[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly outputs: RunOutputs,
    private readonly config: RunConfig,
    private readonly backend: string,
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

  recordTest(scores: ScoreLine[], confusion: ConfusionMatrix, boundary: BoundaryScores | undefined, triptychs: Triptych[], images: number): void {
    this.test = scores;
    this.confusion = { source: `the test split (${images} images)`, matrix: copyOf(confusion), boundary };
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
    const names = MSRC_CLASSES.map((c) => c.name);
    const charts: { title: string; file: string; spec: Record<string, unknown> }[] = [];
    const v = this.validations;
    const lossPoints: CurvePoint[] = [
      ...thin(this.steps, MAX_CURVE_POINTS).map((s) => ({ step: s.step, value: s.loss, series: 'training loss (per step)', dense: true })),
      ...v.map((x) => ({ step: x.step, value: x.trainLoss, series: 'training loss (mean since last validation)' })),
      ...v.map((x) => ({ step: x.step, value: x.loss, series: 'validation loss' })),
    ];
    charts.push({ title: 'Loss', file: `${RUN_FILES.reportAssets}/loss.svg`, spec: curveSpec('Loss', 'cross-entropy', lossPoints) });
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
      perClass = { source, rows: Object.entries(perClassTable(matrix, boundary)).map(([name, scores]) => ({ name, ...scores })) };
    }
    for (const c of charts) await this.outputs.write(c.file, await renderSvg(c.spec));
    const last = v.at(-1);
    const html = reportHtml({
      title: `train-msrc run: ${this.outputs.dir}`,
      status,
      updated: new Date().toISOString(),
      backend: this.backend,
      config: this.config,
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
