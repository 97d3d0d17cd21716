import { join } from 'node:path';
import { ADE20K_CLASS_NAMES, ADE20K_CLASS_PALETTE } from '../../classes/ade20k.js';
import { indexTable, readIndexLabels } from '../../labels/index-labels.js';
import { findDataFolder, hasFolders, subfolders } from '../files.js';
import type { DatasetFormatModule, ListedSplit } from '../format-layout.js';
import { listImageFolder } from '../folder-images.js';

const IGNORE = 255;

/** mmsegmentation's `reduce_zero_label`: 0 ("other") is ignored, 1..150 become 0..149. */
const TABLE = indexTable(
  [[0, IGNORE] as const, ...ADE20K_CLASS_NAMES.map((_, k) => [k + 1, k] as const)],
  `0 (other, ignored) and 1..${ADE20K_CLASS_NAMES.length}`,
);

const SPLITS = ['training', 'validation'];

/**
 * ADE20K SceneParsing (`ADEChallengeData2016`): `images/<split>/<id>.jpg` and
 * `annotations/<split>/<id>.png`, grey values 0..150.
 */
export const ade20k: DatasetFormatModule = {
  async locate(root) {
    const dir = await findDataFolder(root, ['', 'ADEChallengeData2016'], (d) => hasFolders(d, ['images', 'annotations']));
    if (!dir) throw new Error(`ADE20K root ${root}: found no ADEChallengeData2016 folder with images/ and annotations/ (the root, ADEChallengeData2016/, or one folder down)`);
    const present = new Set(await subfolders(join(dir, 'images')));
    const splits: ListedSplit[] = [];
    for (const name of SPLITS.filter((s) => present.has(s))) {
      splits.push(await listImageFolder(name, join(dir, 'images', name), join(dir, 'annotations', name), '.jpg', '.png'));
    }
    return {
      classes: ADE20K_CLASS_NAMES,
      palette: ADE20K_CLASS_PALETTE,
      ignoreIndex: IGNORE,
      splits,
      aliases: { train: 'training', val: 'validation' },
      problems: [],
      readLabels: (mask) => readIndexLabels(mask, TABLE),
    };
  },
};
