import { basename } from 'node:path';
import { readImageFile } from '../../image/decode.js';
import { labelsFromGroundTruth } from '../../classes/msrc-ground-truth.js';
import { problemLines } from '../../report-lines.js';
import {
  findMsrcLayout,
  listFiles,
  MSRC_SPLIT_FILES,
  MSRC_SPLITS,
  type MsrcLayout,
  type MsrcLayoutOptions,
  type MsrcSplitName,
  msrcSampleFiles,
  readSplitFile,
} from './layout.js';

/** Kinds of problem {@link validateMsrc} reports. */
export type MsrcProblemKind =
  | 'layout'
  | 'missing-split-file'
  | 'empty-split-file'
  | 'bad-split-file'
  | 'duplicate-id'
  | 'missing-image'
  | 'missing-ground-truth'
  | 'corrupt-file'
  | 'size-mismatch'
  | 'unknown-color';

/** One problem found by {@link validateMsrc}. */
export interface MsrcProblem {
  kind: MsrcProblemKind;
  /** The file at fault. */
  file: string;
  /** A sentence naming the file and what is wrong. */
  message: string;
}

/** What {@link validateMsrc} found. */
export interface MsrcValidationReport {
  root: string;
  /** `null` when no MSRC layout was found (then `problems` says why). */
  layout: MsrcLayout | null;
  /** Entries per split file found. */
  splitSizes: Partial<Record<MsrcSplitName, number>>;
  /** Number of distinct images whose files were decoded and checked. */
  checkedImages: number;
  /** Every problem, in a stable order; empty when the copy is usable. */
  problems: MsrcProblem[];
  /** `problems.length === 0`. */
  ok: boolean;
}

/** Options of {@link validateMsrc}. */
export interface ValidateMsrcOptions extends MsrcLayoutOptions {
  /** Also check `SegmentationsGTHighQuality/` files where present. Default true. */
  highQuality?: boolean;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
}

/**
 * Checks an MSRC-v2 copy and reports every problem at once rather than
 * stopping at the first: missing or empty split files, duplicate ids (within or across
 * splits), missing images or ground truth for split entries, unreadable or
 * corrupt files, image/ground-truth size mismatches and colours outside the
 * MSRC palette. Every listed file is decoded, so this takes a few seconds on
 * the 591 real images.
 *
 * @param root The unpacked dataset folder, or its parent.
 * @returns Every problem found, each naming its file (`ok` when there are none).
 *
 * @example
 * ```ts
 * const report = await validateMsrc('/data/MSRC_ObjCategImageDatabase_v2');
 * if (!report.ok) throw new Error(formatMsrcReport(report));
 * ```
 */
export async function validateMsrc(root: string, options: ValidateMsrcOptions = {}): Promise<MsrcValidationReport> {
  const problems: MsrcProblem[] = [];
  const report = (kind: MsrcProblemKind, file: string, message: string) => problems.push({ kind, file, message });
  let layout: MsrcLayout;
  try {
    layout = await findMsrcLayout(root, options);
  } catch (e) {
    report('layout', root, (e as Error).message);
    return { root, layout: null, splitSizes: {}, checkedImages: 0, problems, ok: false };
  }
  const [images, groundTruth, hq] = await Promise.all([
    listFiles(layout.imagesDir),
    listFiles(layout.groundTruthDir),
    listFiles(options.highQuality === false ? null : layout.highQualityDir),
  ]);

  const splitSizes: Partial<Record<MsrcSplitName, number>> = {};
  const seen = new Map<string, string>();
  const ids: string[] = [];
  for (const split of MSRC_SPLITS) {
    const file = layout.splitFiles[split];
    if (!file) {
      const where = options.splitDir ?? [...new Set([root, layout.dataDir])].join(' or ');
      report('missing-split-file', MSRC_SPLIT_FILES[split], `split file ${MSRC_SPLIT_FILES[split]} not found in ${where}`);
      continue;
    }
    let entries: Awaited<ReturnType<typeof readSplitFile>>;
    try {
      entries = await readSplitFile(file);
    } catch (e) {
      report('bad-split-file', file, (e as Error).message);
      continue;
    }
    splitSizes[split] = entries.length;
    if (entries.length === 0) {
      report('empty-split-file', file, `split file ${file} lists no images; the ${split} split would be empty (one image file name per line, e.g. 1_1_s.bmp)`);
    }
    for (const { id, line } of entries) {
      const at = `${file}:${line}`;
      const first = seen.get(id);
      if (first) {
        report('duplicate-id', file, `${at}: ${id} is already listed at ${first}`);
        continue;
      }
      seen.set(id, at);
      ids.push(id);
      const f = msrcSampleFiles(layout, id);
      if (!images.has(basename(f.image))) report('missing-image', f.image, `${f.image}: missing (listed at ${at})`);
      if (!groundTruth.has(basename(f.groundTruth))) {
        report('missing-ground-truth', f.groundTruth, `${f.groundTruth}: missing (listed at ${at})`);
      }
    }
  }

  const checkOne = async (id: string): Promise<MsrcProblem[]> => {
    const found: MsrcProblem[] = [];
    const f = msrcSampleFiles(layout, id);
    const decode = async (path: string) => {
      try {
        return await readImageFile(path);
      } catch (e) {
        found.push({ kind: 'corrupt-file', file: path, message: (e as Error).message });
        return null;
      }
    };
    const image = images.has(basename(f.image)) ? await decode(f.image) : null;
    const gts = [groundTruth.has(basename(f.groundTruth)) ? f.groundTruth : null];
    if (f.highQuality && hq.has(basename(f.highQuality))) gts.push(f.highQuality);
    for (const path of gts) {
      if (!path) continue;
      const gt = await decode(path);
      if (!gt) continue;
      if (image && (image.width !== gt.width || image.height !== gt.height)) {
        found.push({
          kind: 'size-mismatch',
          file: path,
          message: `${path}: ground truth is ${gt.width}×${gt.height} but ${f.image} is ${image.width}×${image.height}`,
        });
      }
      try {
        labelsFromGroundTruth(gt.data, gt.width, gt.height, { source: path });
      } catch (e) {
        found.push({ kind: 'unknown-color', file: path, message: (e as Error).message });
      }
    }
    return found;
  };

  const results: MsrcProblem[][] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      results[i] = await checkOne(ids[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  for (const r of results) problems.push(...r);
  return { root, layout, splitSizes, checkedImages: ids.length, problems, ok: problems.length === 0 };
}

/** A human-readable summary of a {@link validateMsrc} report, one problem per line. */
export function formatMsrcReport(report: MsrcValidationReport): string {
  const lines: string[] = [];
  if (report.layout) lines.push(`MSRC data folder: ${report.layout.dataDir}`);
  const sizes = MSRC_SPLITS.filter((s) => report.splitSizes[s] !== undefined).map((s) => `${s} ${report.splitSizes[s]}`);
  if (sizes.length) lines.push(`splits: ${sizes.join(', ')}; ${report.checkedImages} images checked`);
  return [...lines, ...problemLines(report.problems)].join('\n');
}
