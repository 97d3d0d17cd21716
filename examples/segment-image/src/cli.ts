#!/usr/bin/env node
import { selectBackend } from '@seg/core';
import { DEFAULT_OVERLAY_ALPHA, TORCHVISION_MODELS } from '@seg/deeplab';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { segmentImage } from './segment-image.js';

const scales = (v: string) => {
  const list = v.split(',').map(Number);
  if (list.some((s) => !(s > 0))) throw new InvalidArgumentError(`expected comma-separated positive numbers, got "${v}"`);
  return list;
};

const program = new Command('segment-image')
  .description(
    'Segment an image with a saved DeepLabV3+ MSRC model, or a torchvision segmentation model and its weights: writes <name>.mask.png and <name>.overlay.png',
  )
  .argument('<image>', 'BMP, PNG or JPEG file')
  .option('--model <dir>', 'saved model directory (model.json + weight shards), MSRC classes')
  .addOption(new Option('--torchvision <name>', 'torchvision segmentation model (VOC classes), with --weights').choices(TORCHVISION_MODELS))
  .option('--weights <file>', "its state dict: torchvision's .pth (read without running its code) or .safetensors")
  .option('--out <dir>', 'output folder (default: next to the image)')
  .option('--flip', 'horizontal-flip test-time augmentation', false)
  .option('--scales <list>', 'multi-scale inference, e.g. 0.75,1,1.25', scales)
  .option('--alpha <a>', 'overlay opacity in [0, 1]', Number, DEFAULT_OVERLAY_ALPHA)
  .action(async (image: string, o) => {
    await selectBackend();
    // `pnpm --filter … segment` runs in this package's folder; paths are meant from where the user typed them.
    const here = (p: string | undefined) => (p === undefined ? p : resolve(process.env.INIT_CWD ?? '.', p));
    const r = await segmentImage(here(image)!, { ...o, model: here(o.model), weights: here(o.weights), out: here(o.out) });
    console.log(`${r.width}×${r.height}: ${r.classes.map((c) => `${c.name} ${(100 * c.share).toFixed(1)}%`).join(', ')}`);
    console.log(`wrote ${r.mask} and ${r.overlay}`);
  });

// `pnpm … segment -- args` hands the `--` through; drop it.
const argv = process.argv.slice(2);
program.parseAsync(argv[0] === '--' ? argv.slice(1) : argv, { from: 'user' }).catch((e: Error) => {
  process.stderr.write(`segment-image: ${e.message}\n`);
  process.exit(1);
});
