import { MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID } from '../../classes/msrc.js';
import type { Dataset, DatasetOptions, DatasetProblemKind, DatasetSplit, DatasetValidationReport } from '../../dataset.js';
import type { MsrcProblemKind } from './validate.js';
import { openMsrc } from './open.js';
import { validateMsrc } from './validate.js';
import type { MsrcSplitName } from './layout.js';

const CLASS_NAMES = Object.freeze(MSRC_CLASSES.map((c) => c.name));

/**
 * MSRC-v2 through the common API: {@link openMsrc} with its split files,
 * high-quality ground truth and colour decoding, seen as a {@link Dataset}
 * (22 classes, void 21 also the ignore index).
 */
export async function openMsrcDataset(root: string, options: DatasetOptions): Promise<Dataset> {
  const msrc = await openMsrc(root, { splitDir: options.splitDir });
  const splits = new Map<string, DatasetSplit>(
    msrc.splitNames.map((name) => {
      const split = msrc.split(name);
      const source = msrc.layout.splitFiles[name]!;
      return [name, { name, source, ids: split.ids, size: split.size, get: (index: number) => split.get(index) }];
    }),
  );
  return {
    root,
    format: 'msrc',
    classes: CLASS_NAMES,
    palette: MSRC_PALETTE,
    ignoreIndex: MSRC_VOID,
    splitNames: msrc.splitNames,
    split(name) {
      const split = splits.get(name);
      if (split) return split;
      msrc.split(name as MsrcSplitName); // throws, naming the missing split file or the unknown split
      throw new Error(`MSRC split '${name}' not found`);
    },
  };
}

const KINDS: Readonly<Record<MsrcProblemKind, DatasetProblemKind>> = {
  layout: 'layout',
  'missing-split-file': 'missing-split-file',
  'empty-split-file': 'empty-split',
  'bad-split-file': 'bad-split-file',
  'duplicate-id': 'duplicate-id',
  'missing-image': 'missing-image',
  'missing-ground-truth': 'missing-mask',
  'corrupt-file': 'corrupt-file',
  'size-mismatch': 'size-mismatch',
  'unknown-color': 'unknown-color',
};

/** {@link validateMsrc}'s report in the common shape. */
export async function validateMsrcDataset(root: string, options: DatasetOptions): Promise<DatasetValidationReport> {
  const report = await validateMsrc(root, { splitDir: options.splitDir });
  const problems = report.problems.map((p) => ({ ...p, kind: KINDS[p.kind] }));
  return { root, format: 'msrc', splitSizes: report.splitSizes, checkedSamples: report.checkedImages, problems, ok: report.ok };
}
