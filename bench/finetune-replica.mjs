// The replica module of finetune.bench.mjs: each worker builds the bench's
// model and loss again from the same arguments (the trainer then gives every
// replica its weights).
import { sparseSoftmaxCrossEntropy } from '@seg/core';
import { FINETUNE_MODELS } from './finetune-models.mjs';

export default function build({ model, numClasses, size }) {
  return {
    model: FINETUNE_MODELS[model]({ numClasses, size }),
    loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits),
  };
}
