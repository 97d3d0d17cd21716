import type { RgbImage } from '@seg/core';
import { colorTable, idsFromColors } from './color-ids.js';
import { MSRC_CLASSES, MSRC_VOID } from './msrc.js';

/**
 * Ground-truth colours of the two MSRC-v2 classes that the literature drops
 * (too few examples), mapped to void as in Shotton et al.'s MSRC-21.
 */
export const MSRC_DROPPED_COLORS: Readonly<Record<'horse' | 'mountain', readonly [number, number, number]>> =
  Object.freeze({ horse: [128, 0, 128], mountain: [64, 0, 0] });

/** Options of {@link labelsFromGroundTruth}. */
export interface LabelsFromGroundTruthOptions {
  /** What a colour outside the palette becomes: `'error'` throws, `'void'` maps it to `MSRC_VOID`. Default `'error'`. */
  unknownColor?: 'error' | 'void';
  /** Name of the ground-truth file, used in error messages. Default `'ground truth'`. */
  source?: string;
}

const COLOR_TO_ID = colorTable([
  ...MSRC_CLASSES.map((c) => [c.rgb, c.id] as const),
  ...Object.values(MSRC_DROPPED_COLORS).map((rgb) => [rgb, MSRC_VOID] as const),
]);

/**
 * Converts a colour-coded MSRC ground-truth image to class ids: palette
 * colours to their ids (void black to `MSRC_VOID`), horse and mountain to
 * void.
 *
 * @param rgb `width * height * 3` bytes, row-major RGB.
 * @returns `width * height` class ids in 0..21.
 * @throws On a colour outside the palette (unless `unknownColor: 'void'`),
 *   naming the colour and the first pixel (x, y) where it occurs.
 */
export function labelsFromGroundTruth(
  rgb: Uint8Array,
  width: number,
  height: number,
  options: LabelsFromGroundTruthOptions = {},
): Uint8Array {
  const source = options.source ?? 'ground truth';
  if (rgb.length !== width * height * 3) {
    throw new Error(`${source}: ${rgb.length} bytes of RGB data do not make a ${width}×${height} image (need ${width * height * 3})`);
  }
  const relaxed = options.unknownColor === 'void';
  const labels = idsFromColors(rgb, width, COLOR_TO_ID, (color, x, y) => {
    if (relaxed) return MSRC_VOID;
    throw new Error(
      `${source}: unknown ground-truth colour [${color.join(', ')}] first at pixel (${x}, ${y}) (x, y); ` +
        "MSRC ground truth must use the MSRC_CLASSES palette (pass { unknownColor: 'void' } to map unknown colours to void)",
    );
  });
  return labels;
}

/**
 * Paints class ids with the MSRC palette, the inverse of
 * {@link labelsFromGroundTruth} (void is black).
 *
 * @throws If a label is outside 0..21.
 */
export function groundTruthFromLabels(labels: Uint8Array, width: number, height: number): RgbImage {
  if (labels.length !== width * height) {
    throw new Error(`groundTruthFromLabels: ${labels.length} labels do not make a ${width}×${height} image`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < labels.length; p++) {
    const c = MSRC_CLASSES[labels[p]];
    if (!c) throw new Error(`groundTruthFromLabels: label ${labels[p]} at pixel ${p} is outside 0..${MSRC_VOID}`);
    data[p * 3] = c.rgb[0];
    data[p * 3 + 1] = c.rgb[1];
    data[p * 3 + 2] = c.rgb[2];
  }
  return { data, width, height };
}
