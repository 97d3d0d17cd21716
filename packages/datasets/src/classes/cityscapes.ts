import type { Palette, Rgb } from './palette.js';

/** One row of cityscapesscripts' `helpers/labels.py`: a label id of `*_gtFine_labelIds.png` and its train id. */
export interface CityscapesLabel {
  readonly name: string;
  /** The value stored in `*_gtFine_labelIds.png` (0..33). */
  readonly id: number;
  /** The class id used for training (0..18), or 255 for labels ignored in training and evaluation. */
  readonly trainId: number;
  readonly color: Rgb;
}

const label = (name: string, id: number, trainId: number, color: Rgb): CityscapesLabel => ({ name, id, trainId, color });

/**
 * The 34 labels of cityscapesscripts' `labels.py` with ids (license plate,
 * id -1, is never written to label images and is left out).
 */
export const CITYSCAPES_LABELS: readonly CityscapesLabel[] = Object.freeze([
  label('unlabeled', 0, 255, [0, 0, 0]),
  label('ego vehicle', 1, 255, [0, 0, 0]),
  label('rectification border', 2, 255, [0, 0, 0]),
  label('out of roi', 3, 255, [0, 0, 0]),
  label('static', 4, 255, [0, 0, 0]),
  label('dynamic', 5, 255, [111, 74, 0]),
  label('ground', 6, 255, [81, 0, 81]),
  label('road', 7, 0, [128, 64, 128]),
  label('sidewalk', 8, 1, [244, 35, 232]),
  label('parking', 9, 255, [250, 170, 160]),
  label('rail track', 10, 255, [230, 150, 140]),
  label('building', 11, 2, [70, 70, 70]),
  label('wall', 12, 3, [102, 102, 156]),
  label('fence', 13, 4, [190, 153, 153]),
  label('guard rail', 14, 255, [180, 165, 180]),
  label('bridge', 15, 255, [150, 100, 100]),
  label('tunnel', 16, 255, [150, 120, 90]),
  label('pole', 17, 5, [153, 153, 153]),
  label('polegroup', 18, 255, [153, 153, 153]),
  label('traffic light', 19, 6, [250, 170, 30]),
  label('traffic sign', 20, 7, [220, 220, 0]),
  label('vegetation', 21, 8, [107, 142, 35]),
  label('terrain', 22, 9, [152, 251, 152]),
  label('sky', 23, 10, [70, 130, 180]),
  label('person', 24, 11, [220, 20, 60]),
  label('rider', 25, 12, [255, 0, 0]),
  label('car', 26, 13, [0, 0, 142]),
  label('truck', 27, 14, [0, 0, 70]),
  label('bus', 28, 15, [0, 60, 100]),
  label('caravan', 29, 255, [0, 0, 90]),
  label('trailer', 30, 255, [0, 0, 110]),
  label('train', 31, 16, [0, 80, 100]),
  label('motorcycle', 32, 17, [0, 0, 230]),
  label('bicycle', 33, 18, [119, 11, 32]),
]);

const trainLabels = CITYSCAPES_LABELS.filter((l) => l.trainId !== 255).sort((a, b) => a.trainId - b.trainId);

/** The 19 Cityscapes training classes, by train id (road, sidewalk, …, bicycle). */
export const CITYSCAPES_CLASS_NAMES: readonly string[] = Object.freeze(trainLabels.map((l) => l.name));

/** The published colours of {@link CITYSCAPES_CLASS_NAMES}. */
export const CITYSCAPES_CLASS_PALETTE: Palette = Object.freeze(trainLabels.map((l) => l.color));

/** The train id that every label ignored in training maps to. */
export const CITYSCAPES_IGNORE_INDEX = 255;
