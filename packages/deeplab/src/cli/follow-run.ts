import type { BatchRun } from '../batch/batch-run.js';
import { SUMMARY_FILE, type BatchSummary } from '../batch/summary.js';
import type { CliIo } from './io.js';
import { createBatchProgress } from './progress.js';

/** Exit code of a run that had failed images (the summary lists them). */
export const EXIT_FAILURES = 1;
/** Exit code of a run stopped by a signal before every image ended. */
export const EXIT_STOPPED = 130;

/**
 * Shows a run's progress (and each failure as it happens), then one line of
 * totals.
 *
 * @returns The exit code: 0 when every image was segmented or skipped.
 */
export async function followRun(run: BatchRun, io: CliIo): Promise<number> {
  const display = createBatchProgress({ sink: io.progress });
  run.on('progress', (p) => display.update(p));
  let summary: BatchSummary;
  try {
    for await (const result of run) if (result.status === 'failed') display.log(`failed: ${result.error}`);
    summary = await run.summary();
  } finally {
    display.stop();
  }
  const { counts, throughput, seconds } = summary;
  io.out(
    `segmented ${counts.segmented}, skipped ${counts.skipped}, failed ${counts.failed}` +
      `${counts.notRun > 0 ? `, not run ${counts.notRun}` : ''} of ${counts.inputs} images in ${seconds.toFixed(1)} s ` +
      `(${throughput.imagesPerSecond.toFixed(2)} img/s); summary: ${summary.out}/${SUMMARY_FILE}\n`,
  );
  if (!summary.complete) return EXIT_STOPPED;
  return counts.failed > 0 ? EXIT_FAILURES : 0;
}
