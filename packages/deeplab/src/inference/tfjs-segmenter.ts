import type { LayersModel } from '@tensorflow/tfjs-layers';
import { getModelClasses } from '../classes/model-classes.js';
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
  const classes = getModelClasses(model);
  return {
    ...(classes ? { classes } : {}),
    segment: (image, options) => segment(model, image, options),
    dispose: () => {
      model.dispose();
    },
  };
}
