import { join } from 'node:path';
import { SeededRng } from '@seg/core';
import type { DatasetProblem } from '../../dataset.js';
import { DatasetFileError } from '../../dataset.js';
import { readImageBytes } from '../../image/decode.js';
import { PNG_GREY, PNG_INDEXED } from '../../image/png-chunks.js';
import { pngHeader } from '../../image/png-indices.js';
import { colorTable } from '../../classes/color-ids.js';
import { readColorLabels } from '../../labels/color-labels.js';
import { indexTable, readIndexLabels } from '../../labels/index-labels.js';
import { entries, hasFolders } from '../files.js';
import type { DatasetFormatModule, ListedSample, ListedSplit } from '../format-layout.js';
import { listSplitFiles } from '../list-files.js';
import { readFolderClasses } from './classes-json.js';

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp'];

/** Image file of each stem in `images/` (the first extension found, in the order above). */
async function imagesByStem(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const files = (await entries(dir)).filter((e) => !e.isDir).map((e) => e.name);
  for (const ext of IMAGE_EXTENSIONS) {
    for (const f of files.filter((f) => f.toLowerCase().endsWith(ext)).sort()) {
      const stem = f.slice(0, -ext.length);
      if (!found.has(stem)) found.set(stem, join(dir, f));
    }
  }
  return found;
}

/** Splits `ids` into `train` and `val` with a seeded permutation, each kept in id order. */
function ratioSplits(ids: string[], sample: (id: string) => ListedSample, valFraction: number, seed: number, source: string): ListedSplit[] {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`folder dataset: valFraction must be in [0, 1), got ${valFraction}`);
  const val = new Set(
    new SeededRng(seed)
      .permutation(ids.length)
      .slice(0, Math.round(ids.length * valFraction))
      .map((i) => ids[i]),
  );
  return [
    { name: 'train', source, samples: ids.filter((id) => !val.has(id)).map(sample) },
    { name: 'val', source, samples: ids.filter((id) => val.has(id)).map(sample) },
  ];
}

/**
 * Any other dataset: `images/` and `masks/` matched by file stem, masks as
 * index PNGs (grey or palette: the stored values are the class ids) or RGB
 * PNGs coloured as `classes.json` says. Splits come from `splits/<name>.txt`
 * or, without that folder, from a seeded `train`/`val` ratio split.
 */
export const folder: DatasetFormatModule = {
  async locate(root, options) {
    if (!(await hasFolders(root, ['images', 'masks']))) throw new Error(`folder dataset ${root}: expected images/ and masks/ folders in it`);
    const classes = await readFolderClasses(join(root, 'classes.json'));
    const images = await imagesByStem(join(root, 'images'));
    const problems: DatasetProblem[] = [];
    const maskOf = (id: string) => join(root, 'masks', `${id}.png`);
    const imageOf = (id: string) => images.get(id) ?? join(root, 'images', `${id}.jpg`);
    const splits = (await hasFolders(root, ['splits']))
      ? await listSplitFiles(join(root, 'splits'), { imageOf, maskOf }, problems)
      : ratioSplits(
          [...images.keys()].sort(),
          (id) => ({ id, image: imageOf(id), mask: maskOf(id), listedAt: join(root, 'images') }),
          options.valFraction ?? 0.2,
          options.seed ?? 0,
          join(root, 'images'),
        );
    const indices = indexTable(
      [...classes.names.map((_, id) => [id, id] as const), [classes.ignoreIndex, classes.ignoreIndex] as const],
      `0..${classes.names.length - 1} (classes.json) and ${classes.ignoreIndex} (ignored)`,
    );
    const colors = classes.colors && colorTable(classes.colors.map((c, id) => [c, id] as const));
    return {
      classes: classes.names,
      palette: classes.palette,
      ignoreIndex: classes.ignoreIndex,
      splits,
      problems,
      async readLabels(mask) {
        const bytes = await readImageBytes(mask);
        const header = pngHeader(bytes);
        if (!header || header.colorType === PNG_GREY || header.colorType === PNG_INDEXED) return readIndexLabels(mask, indices, bytes);
        if (!colors) {
          throw new DatasetFileError('unknown-color', mask, `${mask}: a colour mask, but classes.json gives no colours; add { "name", "color": [r, g, b] } entries or save masks as index PNGs`);
        }
        return readColorLabels(mask, colors, bytes);
      },
    };
  },
};
