import type { LayersModel } from '@tensorflow/tfjs-layers';
import { segment } from './segment.js';
import type { Segmenter } from './segmenter.js';

/**
 * A tfjs model as a {@link Segmenter}: `segment()` runs {@link segment} on it,
 * `dispose()` frees its weights.
 *
 * @example
 * ```ts
 * const segmenter = tfjsSegmenter(await loadModel('runs/msrc/model'));
 * const { labels } = await segmenter.segment(image, { flip: true });
 * segmenter.dispose();
 * ```
 */
export function tfjsSegmenter(model: LayersModel): Segmenter {
  return {
    segment: (image, options) => segment(model, image, options),
    dispose: () => {
      model.dispose();
    },
  };
}
