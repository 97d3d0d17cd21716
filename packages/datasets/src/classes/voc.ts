import type { Palette } from './palette.js';
import { vocPalette } from './voc-palette.js';

/**
 * Pascal VOC 2012's 21 segmentation classes in id order (the development
 * kit's `VOCinit.m` names, background first). `SegmentationClass/` PNGs store
 * these ids as palette indices; 255 marks object borders and is ignored.
 */
export const VOC_CLASS_NAMES: readonly string[] = Object.freeze([
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
]);

/** The colours of VOC's own label PNGs for {@link VOC_CLASS_NAMES} (the `labelcolormap` bit pattern). */
export const VOC_CLASS_PALETTE: Palette = Object.freeze(vocPalette(VOC_CLASS_NAMES.length));

/** VOC's void label: object borders and difficult regions. */
export const VOC_IGNORE_INDEX = 255;
