import type { Palette } from './colorize.js';

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

/**
 * Pascal VOC's colour map for {@link VOC_CLASSES} (background black,
 * aeroplane `[128, 0, 0]`, …, tvmonitor `[0, 64, 128]`): the dataset's
 * label colours, built as VOC's development kit does, by spreading the bits
 * of the class id over the high bits of red, green and blue.
 */
export const VOC_PALETTE: Palette = Object.freeze(
  VOC_CLASSES.map((_, id) => {
    const rgb: [number, number, number] = [0, 0, 0];
    for (let bit = 0, c = id; c > 0; bit++, c >>= 3) {
      for (let channel = 0; channel < 3; channel++) rgb[channel] |= ((c >> channel) & 1) << (7 - bit);
    }
    return Object.freeze(rgb);
  }),
);
