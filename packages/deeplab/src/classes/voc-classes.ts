import { vocPalette } from '@seg/datasets/classes';
import type { Palette } from '@seg/datasets/classes';
import type { ModelClass } from './model-classes.js';

/**
 * The classes of torchvision's pretrained segmentation weights, by output
 * index: background and the 20 Pascal VOC categories (torchvision's
 * `_VOC_CATEGORIES`; the weights were trained on the COCO images that hold
 * them). Index 0 is background.
 */
export const VOC_CLASSES: readonly string[] = Object.freeze([
  '__background__',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
]);

/** Pascal VOC's label colours for {@link VOC_CLASSES} (background black, aeroplane `[128, 0, 0]`, …, tvmonitor `[0, 64, 128]`). */
export const VOC_PALETTE: Palette = Object.freeze(vocPalette(VOC_CLASSES.length));

/** {@link VOC_CLASSES} with their {@link VOC_PALETTE} colours, as `setModelClasses` records them. */
export const VOC_MODEL_CLASSES: readonly ModelClass[] = Object.freeze(VOC_CLASSES.map((name, i) => ({ name, color: VOC_PALETTE[i] })));
