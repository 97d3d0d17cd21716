import { join } from 'node:path';
import { CITYSCAPES_CLASS_NAMES, CITYSCAPES_CLASS_PALETTE, CITYSCAPES_IGNORE_INDEX, CITYSCAPES_LABELS } from '../../classes/cityscapes.js';
import { indexTable, readIndexLabels } from '../../labels/index-labels.js';
import { filesEndingWith, findDataFolder, hasFolders, subfolders } from '../files.js';
import type { DatasetFormatModule, ListedSplit } from '../format-layout.js';

/** `*_gtFine_labelIds.png` value → train id, as cityscapesscripts' labels.py maps them. */
const TABLE = indexTable(
  CITYSCAPES_LABELS.map((l) => [l.id, l.trainId] as const),
  `the label ids 0..${CITYSCAPES_LABELS.length - 1} of cityscapesscripts' labels.py`,
);

const IMAGE_SUFFIX = '_leftImg8bit.png';
const SPLITS = ['train', 'val', 'test'];

/**
 * Cityscapes fine annotations: `leftImg8bit/<split>/<city>/<id>_leftImg8bit.png`
 * and `gtFine/<split>/<city>/<id>_gtFine_labelIds.png`, whose 34 label ids
 * become the 19 train ids (255 for the rest). The `_color.png`,
 * `_instanceIds.png` and `_polygons.json` beside them are not read.
 */
export const cityscapes: DatasetFormatModule = {
  async locate(root) {
    const dir = await findDataFolder(root, [''], (d) => hasFolders(d, ['leftImg8bit', 'gtFine']));
    if (!dir) throw new Error(`Cityscapes root ${root}: found no folder holding both leftImg8bit/ and gtFine/ (in the root or one folder down)`);
    const present = new Set(await subfolders(join(dir, 'leftImg8bit')));
    const splits: ListedSplit[] = [];
    for (const name of SPLITS.filter((s) => present.has(s))) {
      const source = join(dir, 'leftImg8bit', name);
      const samples: ListedSplit['samples'] = [];
      for (const city of await subfolders(source)) {
        for (const file of await filesEndingWith(join(source, city), IMAGE_SUFFIX)) {
          const id = file.slice(0, -IMAGE_SUFFIX.length);
          samples.push({
            id,
            image: join(source, city, file),
            mask: join(dir, 'gtFine', name, city, `${id}_gtFine_labelIds.png`),
            listedAt: join(source, city),
          });
        }
      }
      splits.push({ name, source, samples });
    }
    return {
      classes: CITYSCAPES_CLASS_NAMES,
      palette: CITYSCAPES_CLASS_PALETTE,
      ignoreIndex: CITYSCAPES_IGNORE_INDEX,
      splits,
      problems: [],
      readLabels: (mask) => readIndexLabels(mask, TABLE),
    };
  },
};
