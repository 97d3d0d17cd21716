// The models torchvision-inference.bench.mjs compares, in Node and in the
// page it bundles: torchvision's two MobileNetV3 models and the DeepLabV3+
// they are measured against, random weights, 21 classes.
import { deeplabV3Plus, torchvisionModel } from '@seg/deeplab';

/** The DeepLabV3+ the speed-ups are relative to. */
export const BASELINE = 'deeplabV3Plus resnet50 OS16';

/** Builders by the name the bench prints. */
export const MODELS = {
  deeplabv3_mobilenet_v3_large: () => torchvisionModel('deeplabv3_mobilenet_v3_large'),
  lraspp_mobilenet_v3_large: () => torchvisionModel('lraspp_mobilenet_v3_large'),
  [BASELINE]: () => deeplabV3Plus({ backbone: 'resnet50', outputStride: 16, numClasses: 21 }),
};
