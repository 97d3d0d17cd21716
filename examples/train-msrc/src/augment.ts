import {
  type Augmentation,
  colorJitter,
  compose,
  randomCrop,
  randomGaussianBlur,
  randomHorizontalFlip,
  randomRotation,
  randomScale,
} from '@seg/core';
import { MSRC_VOID } from '@seg/msrc';

/**
 * The reference run's training augmentation, in its order: flip (p 0.5),
 * Gaussian blur (p 0.5), then either a rotation (p 0.3) or a random scale
 * (p 0.5) with equal odds, colour jitter (p 0.5), and a square crop to
 * `cropSize` padded with void.
 */
export function referenceAugmentation(cropSize: number): Augmentation {
  const rotate = randomRotation({ ignoreIndex: MSRC_VOID, probability: 0.3 });
  const scale = randomScale({ minScale: 0.5, maxScale: 2 });
  const jitter = colorJitter();
  return compose([
    randomHorizontalFlip({ probability: 0.5 }),
    randomGaussianBlur({ probability: 0.5 }),
    (s, rng) => (rng.bool(0.5) ? rotate(s, rng) : rng.bool(0.5) ? scale(s, rng) : s),
    (s, rng) => (rng.bool(0.5) ? jitter(s, rng) : s),
    randomCrop({ size: cropSize, ignoreIndex: MSRC_VOID }),
  ]);
}
