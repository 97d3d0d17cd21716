import { graphMemory, layerGraph, runOnce } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readPixels } from './image-pixels.js';
import { checkMemory, tfjsMemoryLimits } from './memory-limits.js';
import type { ImageInput } from './preprocess.js';
import type { Segmentation, SegmentOptions } from './segment-options.js';
import { type LogitsRunner, segmentWithTta } from './test-time-augmentation.js';

export type { Segmentation, SegmentOptions } from './segment-options.js';

function checkModel(model: unknown): asserts model is LayersModel {
  const m = model as Partial<LayersModel> | null;
  if (m === null || typeof m !== 'object' || !Array.isArray(m.inputs) || !Array.isArray(m.outputs) || !Array.isArray(m.layers)) {
    throw new Error(`segment: model is ${m === null || typeof m !== 'object' ? String(m) : 'not a tf.LayersModel'}; expected a tf.LayersModel such as deeplabV3Plus() builds or loadModel() loads`);
  }
  if (m.inputs.length !== 1 || m.outputs.length !== 1) {
    throw new Error(`segment: model "${m.name}" has ${m.inputs.length} inputs and ${m.outputs.length} outputs; expected one image input and one logits output`);
  }
}

/** The tfjs side of {@link segmentWithTta}: the model's layer plan, run once per batch. */
function tfjsRunner(model: LayersModel): LogitsRunner {
  const classes = model.outputs[0].shape[3] ?? undefined;
  return {
    classes,
    normalization: 'imagenet',
    async checkFits(n, height, width, imageWidth, imageHeight) {
      const need = graphMemory(layerGraph(model), [[n, height, width, 3]]);
      // The NCHW batch and the NCHW logits live beside the plan's NHWC ones.
      const extra = 4 * n * height * width * (3 + (classes ?? 1));
      const runtime = `the tfjs ${tf.getBackend()} backend`;
      checkMemory('segment', runtime, imageWidth, imageHeight, { ...need, peakBytes: need.peakBytes + extra }, await tfjsMemoryLimits());
    },
    async logits(images, n, height, width) {
      const y = tf.tidy(() => {
        const x = tf.transpose(tf.tensor4d(images, [n, 3, height, width]), [0, 2, 3, 1]);
        const [out] = runOnce(model, x);
        if (out.rank !== 4 || out.shape[1] !== height || out.shape[2] !== width) {
          throw new Error(`segment: the model maps a [${n}, ${height}, ${width}, 3] input to [${out.shape.join(', ')}]; expected [${n}, ${height}, ${width}, numClasses] logits`);
        }
        return tf.transpose(out, [0, 3, 1, 2]);
      });
      try {
        return { data: (await y.data()) as Float32Array, classes: y.shape[1] as number };
      } finally {
        y.dispose();
      }
    },
  };
}

/**
 * Segments one image: normalises it, runs the model (optionally on flipped
 * and rescaled copies, averaging class probabilities at the image's size) and
 * returns each pixel's most likely class. The model runs each layer once per
 * batch (see {@link DeepLabV3PlusModel}); every tensor is disposed.
 *
 * Before anything is allocated, the memory the run needs is compared with
 * what the current backend can hold (the wasm heap's 4 GiB, a WebGPU
 * device's largest buffer, a WebGL texture, the machine's memory on `cpu`):
 * a wasm backend that runs out aborts and fails every later call, so a too
 * large image is an error that names its size, the need and the limit.
 *
 * @param model A model mapping `[N, H, W, 3]` normalised images to
 *   `[N, H, W, numClasses]` logits, such as {@link deeplabV3Plus} builds.
 * @throws If an argument is of the wrong type (naming it), a value is NaN or
 *   infinite, a scale shrinks the image below {@link MIN_INPUT_SIZE} pixels,
 *   the image would not fit the backend, or the model's output does not
 *   match its input size.
 *
 * @example
 * ```ts
 * const model = deeplabV3Plus({ numClasses: 22, backbone: 'resnet50', outputStride: 16 });
 * const seg = await segment(model, { data: rgb, width: 320, height: 213, channels: 3 }, { flip: true });
 * const rgba = colorize(seg.labels, seg.width, seg.height, MSRC_PALETTE);
 * ```
 */
export async function segment(model: LayersModel, image: ImageInput, options: SegmentOptions = {}): Promise<Segmentation> {
  checkModel(model);
  const pixels = await readPixels('segment', image);
  return segmentWithTta('segment', pixels, options, tfjsRunner(model));
}
