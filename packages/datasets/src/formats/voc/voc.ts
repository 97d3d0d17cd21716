import { join } from 'node:path';
import { VOC_CLASS_NAMES, VOC_CLASS_PALETTE, VOC_IGNORE_INDEX } from '../../classes/voc.js';
import type { DatasetProblem } from '../../dataset.js';
import { indexTable, readIndexLabels } from '../../labels/index-labels.js';
import { findDataFolder, hasFolders } from '../files.js';
import type { DatasetFormatModule } from '../format-layout.js';
import { listSplitFiles } from '../list-files.js';

const TABLE = indexTable(
  [...VOC_CLASS_NAMES.map((_, id) => [id, id] as const), [VOC_IGNORE_INDEX, VOC_IGNORE_INDEX] as const],
  `0..${VOC_CLASS_NAMES.length - 1} and ${VOC_IGNORE_INDEX} (border)`,
);

/**
 * Pascal VOC 2012 segmentation: `VOC2012/ImageSets/Segmentation/<split>.txt`
 * lists ids, `JPEGImages/<id>.jpg` holds the image and
 * `SegmentationClass/<id>.png` the class ids as palette indices (not
 * colours), 255 on object borders. The root is `VOC2012` itself, the folder
 * holding `VOCdevkit`, or `VOCdevkit`.
 */
export const voc: DatasetFormatModule = {
  async locate(root) {
    const dir = await findDataFolder(root, ['', 'VOC2012', join('VOCdevkit', 'VOC2012')], (d) =>
      hasFolders(d, ['JPEGImages', 'SegmentationClass', 'ImageSets']),
    );
    if (!dir) {
      throw new Error(
        `VOC root ${root}: found no VOC2012 folder with JPEGImages/, SegmentationClass/ and ImageSets/ (looked in the root, VOC2012/ and VOCdevkit/VOC2012/, and one folder down); point at VOCdevkit's parent or at VOC2012`,
      );
    }
    const problems: DatasetProblem[] = [];
    const splits = await listSplitFiles(
      join(dir, 'ImageSets', 'Segmentation'),
      { imageOf: (id) => join(dir, 'JPEGImages', `${id}.jpg`), maskOf: (id) => join(dir, 'SegmentationClass', `${id}.png`) },
      problems,
    );
    return {
      classes: VOC_CLASS_NAMES,
      palette: VOC_CLASS_PALETTE,
      ignoreIndex: VOC_IGNORE_INDEX,
      splits,
      problems,
      readLabels: (mask) => readIndexLabels(mask, TABLE),
    };
  },
};
