import { basename, extname, join } from 'node:path';
import { loadModel, writeFileAtomic } from '@seg/core';
import { classPalette, colorize, fromTorchvision, getModelClasses, overlay, segment, type TorchvisionModelName } from '@seg/deeplab';
import { type Palette, vocPalette } from '@seg/datasets/classes';
import { encodePng, MSRC_CLASSES, MSRC_PALETTE, readImageFile } from '@seg/msrc';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Options of {@link segmentImage}: a saved model (`model`), or torchvision's `torchvision` model with `weights`. */
export interface SegmentImageOptions {
  /** Model directory (`model.json` + shards), e.g. `runs/msrc/model` from train-msrc: its recorded classes, else the MSRC ones. */
  model?: string;
  /** A torchvision segmentation model (21 VOC classes), e.g. `deeplabv3_mobilenet_v3_large`; needs `weights`. */
  torchvision?: TorchvisionModelName;
  /** Its state dict: torchvision's `.pth` file (read without running its code) or a `.safetensors` copy. */
  weights?: string;
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

/** A model with the names and colours of its classes. */
interface Labelled {
  model: LayersModel;
  names: readonly string[];
  palette: Palette;
}

async function loadLabelled(options: SegmentImageOptions): Promise<Labelled> {
  if ((options.model === undefined) === (options.torchvision === undefined)) {
    throw new Error('give either a saved model directory (--model) or a torchvision model name with its weights (--torchvision, --weights)');
  }
  if (options.torchvision !== undefined && options.weights === undefined) {
    throw new Error(`--torchvision ${options.torchvision} needs --weights, its .pth or .safetensors file`);
  }
  const model = options.torchvision !== undefined ? await fromTorchvision(options.torchvision, options.weights!) : await loadModel(options.model!);
  // torchvision's models (and saved copies of them) record their VOC classes and colours.
  const recorded = getModelClasses(model);
  if (recorded) return { model, names: recorded.map((c) => c.name), palette: classPalette(recorded) ?? vocPalette(recorded.length) };
  const classes = model.outputs[0].shape[3];
  if (classes !== MSRC_CLASSES.length) {
    model.dispose();
    throw new Error(`${options.model}: the model predicts ${classes} classes; this example colours the ${MSRC_CLASSES.length} MSRC classes`);
  }
  return { model, names: MSRC_CLASSES.map((c) => c.name), palette: MSRC_PALETTE };
}

/**
 * Segments an image file (BMP, PNG or JPEG) with a saved DeepLabV3+ model for
 * the MSRC classes, or with one of torchvision's segmentation models and its
 * weights (the 21 VOC classes), and writes the colourised mask and an
 * overlay as PNGs. Runs on the active tfjs backend (the CLI picks the best
 * installed one).
 */
export async function segmentImage(imagePath: string, options: SegmentImageOptions): Promise<SegmentImageResult> {
  const { model, names, palette } = await loadLabelled(options);
  try {
    const image = await readImageFile(imagePath);
    const { width, height } = image;
    const raw = { data: image.data, width, height, channels: 3 as const };
    const result = await segment(model, raw, { flip: options.flip, scales: options.scales });
    const stem = basename(imagePath, extname(imagePath));
    const out = options.out ?? join(imagePath, '..');
    const mask = join(out, `${stem}.mask.png`);
    const blended = join(out, `${stem}.overlay.png`);
    await writeFileAtomic(mask, await encodePng(colorize(result.labels, width, height, palette), width, height));
    await writeFileAtomic(blended, await encodePng(overlay(raw, result.labels, palette, options.alpha), width, height));
    const counts = new Map<number, number>();
    for (const l of result.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const shares = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([id, n]) => ({ name: names[id], share: n / (width * height) }));
    return { mask, overlay: blended, width, height, classes: shares };
  } finally {
    model.dispose();
  }
}
