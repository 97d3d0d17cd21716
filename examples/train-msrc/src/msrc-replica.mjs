// The training run's model, loss and metric, built the same way in the main
// thread and in every data-parallel replica (`Trainer` `workers`). Plain
// JavaScript: worker threads load it without tsx's TypeScript loader, which
// does not reach them.
import { sparseSoftmaxCrossEntropy } from '@seg/core';
import { deeplabV3Plus } from '@seg/deeplab';
import * as tf from '@tensorflow/tfjs-core';

/** Void is trained as the 22nd class, as in the reference run; the loss ignores nothing. */
export const lossWith = (classWeights) => (labels, logits) =>
  sparseSoftmaxCrossEntropy(labels, logits, classWeights ? { classWeights } : {});

export const pixelAccuracy = (labels, logits) => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32'));

/** A replica: DeepLabV3+ from the run's model options, its loss and pixel accuracy. */
export default function buildReplica({ model, classWeights }) {
  return { model: deeplabV3Plus(model), loss: lossWith(classWeights), metrics: { pixelAccuracy } };
}
