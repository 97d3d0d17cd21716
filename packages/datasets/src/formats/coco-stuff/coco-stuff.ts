import { join } from 'node:path';
import { COCO_STUFF_CLASS_NAMES, COCO_STUFF_CLASS_PALETTE, COCO_STUFF_ID_TO_CLASS, COCO_STUFF_IGNORE_INDEX } from '../../classes/coco-stuff.js';
import { indexTable, readIndexLabels } from '../../labels/index-labels.js';
import { findDataFolder, hasFolders, subfolders } from '../files.js';
import type { DatasetFormatModule, ListedSplit } from '../format-layout.js';
import { listImageFolder } from '../folder-images.js';

const MAPS = 'stuffthingmaps_trainval2017';

const TABLE = indexTable(
  [...[...COCO_STUFF_ID_TO_CLASS].flatMap((id, value) => (id >= 0 ? [[value, id] as const] : [])), [COCO_STUFF_IGNORE_INDEX, COCO_STUFF_IGNORE_INDEX] as const],
  `the 0-based ids 0..181 of COCO-Stuff's used classes (not the unused thing ids 11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90) and ${COCO_STUFF_IGNORE_INDEX} (unlabelled)`,
);

const SPLITS = ['train', 'val'];

/**
 * COCO-Stuff 164k as its archives extract: `train2017/`, `val2017/` (the
 * images, also accepted under `images/`) and
 * `stuffthingmaps_trainval2017/<split>2017/<id>.png`, grey 0-based ids with
 * 255 unlabelled, renumbered to the 171 used classes.
 */
export const cocoStuff: DatasetFormatModule = {
  async locate(root) {
    const dir = await findDataFolder(root, [''], (d) => hasFolders(d, [MAPS]));
    if (!dir) throw new Error(`COCO-Stuff root ${root}: found no folder holding ${MAPS}/ (in the root or one folder down)`);
    const present = new Set(await subfolders(join(dir, MAPS)));
    const imageRoot = (await hasFolders(dir, ['images'])) ? join(dir, 'images') : dir;
    const splits: ListedSplit[] = [];
    for (const name of SPLITS.filter((s) => present.has(`${s}2017`))) {
      splits.push(await listImageFolder(name, join(imageRoot, `${name}2017`), join(dir, MAPS, `${name}2017`), '.jpg', '.png'));
    }
    return {
      classes: COCO_STUFF_CLASS_NAMES,
      palette: COCO_STUFF_CLASS_PALETTE,
      ignoreIndex: COCO_STUFF_IGNORE_INDEX,
      splits,
      problems: [],
      readLabels: (mask) => readIndexLabels(mask, TABLE),
    };
  },
};
