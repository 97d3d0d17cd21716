#!/usr/bin/env node
// The main job: train DeepLabV3+ on a synthetic MSRC-format dataset and segment an image.
// Until examples/train-msrc lands this fails loudly rather than pretending.
console.error('pnpm demo: not built yet (the MSRC training demo lands with examples/train-msrc)');
process.exit(1);
