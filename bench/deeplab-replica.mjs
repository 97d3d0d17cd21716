// The replica module of train-step.bench.mjs --workers N: each worker builds
// the bench's DeepLabV3+ and loss again from the same arguments (the trainer
// then gives every replica its weights).
import { sparseSoftmaxCrossEntropy } from '@seg/core';
import { deeplabV3Plus } from '@seg/deeplab';

export default function build({ backbone, outputStride, numClasses, size }) {
  return {
    model: deeplabV3Plus({ backbone, outputStride, numClasses, inputShape: [size, size, 3] }),
    loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits),
  };
}
