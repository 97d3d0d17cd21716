import type { LabeledImage } from './image.js';
import type { SeededRng } from './rng.js';

/**
 * A transform of an image and its labels drawn from `rng`. The same random
 * draws move image and labels, so they stay aligned; calling it twice with
 * generators in the same state gives the same output. Inputs are never
 * modified.
 */
export type Augmentation = (sample: LabeledImage, rng: SeededRng) => LabeledImage;

/** Applies `augmentations` in order, all drawing from the one generator. */
export function compose(augmentations: readonly Augmentation[]): Augmentation {
  const steps = [...augmentations];
  return (sample, rng) => {
    let out = sample;
    for (const step of steps) out = step(out, rng);
    return out;
  };
}

/**
 * Applies `augmentation` with probability `probability`, else passes the
 * sample through. The coin is drawn first, from the same generator.
 */
export function randomApply(augmentation: Augmentation, probability: number): Augmentation {
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`randomApply: probability must be in [0, 1], got ${probability}`);
  return (sample, rng) => (rng.bool(probability) ? augmentation(sample, rng) : sample);
}

/** Applies one of `augmentations`, picked uniformly at random (e.g. "rotate or scale, 50/50"). */
export function oneOf(augmentations: readonly Augmentation[]): Augmentation {
  if (augmentations.length === 0) throw new RangeError('oneOf: give at least one augmentation');
  const choices = [...augmentations];
  return (sample, rng) => choices[rng.int(choices.length)](sample, rng);
}

/**
 * Default fill for pixels an augmentation brings in from outside the image:
 * the ImageNet mean colour, which ImageNet normalisation maps to about zero,
 * as DeepLab pads with the mean pixel.
 */
export const MEAN_PIXEL_FILL: readonly [number, number, number] = [124, 116, 104];
