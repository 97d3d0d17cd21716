import { runOnce } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type PredictArgs = Parameters<tfl.LayersModel['predict']>[1];

/**
 * The `tf.LayersModel` {@link deeplabV3Plus} returns: a functional model
 * whose `predict()` calls every layer once.
 *
 * tfjs-layers 4.22 runs a nested model more than once: `predict()` applies
 * a layer once per output tensor the graph reads, so the trunk, which feeds
 * both ASPP and the decoder, ran twice; `apply()` on tensors calls each
 * nested model's `computeMask()`, which runs the nested graph again (trunk
 * and ASPP twice). Here `predict()` and `apply()` run the layer graph
 * through a layer plan that calls each layer once and frees each activation after its last reader; saving, loading and symbolic use are tfjs-layers'
 * own. Saved models name this class (`DeepLabV3Plus`), and importing
 * `@seg/deeplab` registers it, as it registers the custom layers.
 */
export class DeepLabV3PlusModel extends tfl.LayersModel {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = 'DeepLabV3Plus';

  /**
   * tfjs-layers' `predict()` (batches of `args.batchSize`, default 32), with
   * each layer called once per batch.
   */
  override predict(x: tf.Tensor | tf.Tensor[], args: PredictArgs = {}): tf.Tensor | tf.Tensor[] {
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0].shape[0];
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`${this.name}.predict: batchSize is ${batchSize}; expected a positive integer`);
    }
    return tf.tidy(() => {
      const batches: tf.Tensor[][] = [];
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        batches.push(runOnce(this, size === n ? xs : xs.map((t) => tf.slice(t, start, size))));
      }
      const outputs = this.outputs.map((_, i) => (batches.length === 1 ? batches[0][i] : tf.concat(batches.map((b) => b[i]), 0)));
      return outputs.length === 1 ? outputs[0] : outputs;
    });
  }

  /** Runs the layers on tensors, each once; `kwargs.training` picks the mode as in tfjs-layers. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const outputs = runOnce(this, inputs, Boolean(kwargs.training));
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /** No layer of the model masks; tfjs-layers would run the whole graph again to find that out. */
  override computeMask(): tf.Tensor | tf.Tensor[] {
    return this.outputs.map(() => null) as unknown as tf.Tensor[];
  }

  /** {@link DeepLabV3PlusModel.predict} on the whole batch at once. */
  override predictOnBatch(x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.predict(x, { batchSize: (Array.isArray(x) ? x[0] : x).shape[0] });
  }
}
serialization.registerClass(DeepLabV3PlusModel);
