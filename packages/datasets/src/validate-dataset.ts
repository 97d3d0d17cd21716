import type { DatasetOptions, DatasetProblem, DatasetValidationReport } from './dataset.js';
import { DatasetFileError } from './dataset.js';
import { existingFiles } from './formats/files.js';
import type { FormatLayout, ListedSample } from './formats/format-layout.js';
import { validateMsrcDataset } from './formats/msrc/msrc.js';
import { formatModule } from './formats/registry.js';
import { readImageFile } from './image/decode.js';
import { problemLines } from './report-lines.js';

/** Options of {@link validateDataset}. */
export interface ValidateDatasetOptions extends DatasetOptions {
  /** Samples decoded at once. Default 4 (libuv's thread pool size). */
  concurrency?: number;
}

/** Decodes one sample's image and mask, and reports what is wrong with either or both. */
async function checkSample(layout: FormatLayout, sample: ListedSample, exists: Set<string>): Promise<DatasetProblem[]> {
  const problems: DatasetProblem[] = [];
  const fail = (file: string, e: unknown) => {
    const kind = e instanceof DatasetFileError ? e.kind : 'corrupt-file';
    problems.push({ kind, file, message: (e as Error).message });
    return null;
  };
  const [image, mask] = await Promise.all([
    exists.has(sample.image) ? readImageFile(sample.image).catch((e) => fail(sample.image, e)) : null,
    exists.has(sample.mask) ? layout.readLabels(sample.mask).catch((e) => fail(sample.mask, e)) : null,
  ]);
  if (image && mask && (image.width !== mask.width || image.height !== mask.height)) {
    problems.push({
      kind: 'size-mismatch',
      file: sample.mask,
      message: `${sample.mask}: mask is ${mask.width}×${mask.height} but its image ${sample.image} is ${image.width}×${image.height}`,
    });
  }
  return problems;
}

/** Runs `task` over `items`, `concurrency` at a time, keeping results in item order. */
async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/**
 * Checks a dataset and reports every problem at once, each naming its file:
 * a missing image or mask, an image and mask of different sizes, a mask
 * value that is no class and not ignored, an unknown colour, an unreadable,
 * truncated or 16-bit file, a duplicate id and an empty split. Every listed
 * sample is decoded.
 *
 * @param root The folder the download extracts to, or the folder above it.
 * @returns Every problem found (`ok` when there are none).
 *
 * @example
 * ```ts
 * const report = await validateDataset('/data/cityscapes', { format: 'cityscapes' });
 * if (!report.ok) throw new Error(formatDatasetReport(report));
 * ```
 */
export async function validateDataset(root: string, options: ValidateDatasetOptions): Promise<DatasetValidationReport> {
  if (options.format === 'msrc') return validateMsrcDataset(root, options);
  const { format } = options;
  let layout: FormatLayout;
  try {
    layout = await formatModule(format).locate(root, options);
  } catch (e) {
    const problems: DatasetProblem[] = [{ kind: 'layout', file: root, message: (e as Error).message }];
    return { root, format, splitSizes: {}, checkedSamples: 0, problems, ok: false };
  }
  const problems = [...layout.problems];
  const splitSizes: Record<string, number> = {};
  const unique = new Map<string, ListedSample>();
  for (const split of layout.splits) {
    splitSizes[split.name] = split.samples.length;
    if (split.samples.length === 0) problems.push({ kind: 'empty-split', file: split.source, message: `${split.source}: the ${split.name} split lists no samples` });
    const seen = new Map<string, string>();
    for (const s of split.samples) {
      const first = seen.get(s.id);
      if (first) problems.push({ kind: 'duplicate-id', file: split.source, message: `${s.listedAt}: ${s.id} is already listed at ${first}` });
      else seen.set(s.id, s.listedAt);
      unique.set(`${s.image}\n${s.mask}`, s);
    }
  }
  const samples = [...unique.values()];
  const exists = await existingFiles(samples.flatMap((s) => [s.image, s.mask]));
  for (const s of samples) {
    if (!exists.has(s.image)) problems.push({ kind: 'missing-image', file: s.image, message: `${s.image}: missing (listed at ${s.listedAt})` });
    if (!exists.has(s.mask)) problems.push({ kind: 'missing-mask', file: s.mask, message: `${s.mask}: missing (mask of ${s.id}, listed at ${s.listedAt})` });
  }
  const found = await mapConcurrently(samples, options.concurrency ?? 4, (s) => checkSample(layout, s, exists));
  problems.push(...found.flat());
  return { root, format, splitSizes, checkedSamples: samples.length, problems, ok: problems.length === 0 };
}

/** A human-readable summary of a {@link validateDataset} report, one problem per line. */
export function formatDatasetReport(report: DatasetValidationReport): string {
  const lines = [`${report.format} dataset ${report.root}`];
  const sizes = Object.entries(report.splitSizes).map(([name, n]) => `${name} ${n}`);
  if (sizes.length) lines.push(`splits: ${sizes.join(', ')}; ${report.checkedSamples} samples checked`);
  return [...lines, ...problemLines(report.problems)].join('\n');
}
