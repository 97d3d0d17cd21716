import { basename, extname, join } from 'node:path';
import { writeFileAtomic } from '@seg/core';
import { colorize, loadModel, overlay, segment } from '@seg/deeplab';
import { encodePng, MSRC_CLASSES, MSRC_PALETTE, readImageFile } from '@seg/msrc';

/** Options of {@link segmentImage}. */
export interface SegmentImageOptions {
  /** Model directory (`model.json` + shards), e.g. `runs/msrc/model` from train-msrc. */
  model: string;
  /** Folder for the outputs. Default: the image's folder. */
  out?: string;
  /** Horizontal-flip test-time augmentation. Default false. */
  flip?: boolean;
  /** Multi-scale inference scales. Default [1]. */
  scales?: number[];
  /** Opacity of the class colours in the overlay. Default `DEFAULT_OVERLAY_ALPHA` of `@seg/deeplab` (0.5). */
  alpha?: number;
}

/** What {@link segmentImage} wrote and found. */
export interface SegmentImageResult {
  mask: string;
  overlay: string;
  width: number;
  height: number;
  /** Share of the image's pixels per predicted class name, largest first. */
  classes: { name: string; share: number }[];
}

/**
 * Segments an image file (BMP, PNG or JPEG) with a saved DeepLabV3+ model for
 * the MSRC classes and writes the colourised mask and an overlay as PNGs.
 * Runs on the active tfjs backend (the CLI picks the best installed one).
 */
export async function segmentImage(imagePath: string, options: SegmentImageOptions): Promise<SegmentImageResult> {
  const model = await loadModel(options.model);
  try {
    const classes = model.outputs[0].shape[3];
    if (classes !== MSRC_CLASSES.length) {
      throw new Error(`${options.model}: the model predicts ${classes} classes; this example colours the ${MSRC_CLASSES.length} MSRC classes`);
    }
    const image = await readImageFile(imagePath);
    const { width, height } = image;
    const raw = { data: image.data, width, height, channels: 3 as const };
    const result = await segment(model, raw, { flip: options.flip, scales: options.scales });
    const stem = basename(imagePath, extname(imagePath));
    const out = options.out ?? join(imagePath, '..');
    const mask = join(out, `${stem}.mask.png`);
    const blended = join(out, `${stem}.overlay.png`);
    await writeFileAtomic(mask, await encodePng(colorize(result.labels, width, height, MSRC_PALETTE), width, height));
    await writeFileAtomic(blended, await encodePng(overlay(raw, result.labels, MSRC_PALETTE, options.alpha), width, height));
    const counts = new Map<number, number>();
    for (const l of result.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const shares = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([id, n]) => ({ name: MSRC_CLASSES[id].name, share: n / (width * height) }));
    return { mask, overlay: blended, width, height, classes: shares };
  } finally {
    model.dispose();
  }
}
