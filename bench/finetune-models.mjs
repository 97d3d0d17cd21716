// The models finetune.bench.mjs fine-tunes (and finetune_torch.py builds in
// PyTorch), by the name both print: random weights, `numClasses` classes.
import { deeplabV3Plus, torchvisionModel } from '@seg/deeplab';

export const FINETUNE_MODELS = {
  deeplabv3plus_mobilenet_v3_large: ({ numClasses, size }) =>
    deeplabV3Plus({ backbone: 'mobilenet_v3_large', outputStride: 16, numClasses, inputShape: [size, size, 3] }),
  lraspp_mobilenet_v3_large: ({ numClasses, size }) => torchvisionModel('lraspp_mobilenet_v3_large', { numClasses, inputShape: [size, size, 3] }),
};
