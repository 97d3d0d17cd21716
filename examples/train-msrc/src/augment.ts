import {
  type Augmentation,
  colorJitter,
  compose,
  randomApply,
  randomCrop,
  randomGaussianBlur,
  randomHorizontalFlip,
  randomRotation,
  randomScale,
  randomScaledCrop,
} from '@seg/core';
import { MSRC_VOID } from '@seg/msrc';

/**
 * The reference run's augmentation settings (`MSRCDataset.__getitem__`,
 * `transforms.py`), as its code behaves; `fixtures/original-settings.json`
 * gives each one's source line.
 */
export const REFERENCE_AUGMENTATION = Object.freeze({
  flipProbability: 0.5,
  blurProbability: 0.5,
  /** PIL's `GaussianBlur(radius)` with radius U[0, 1): the radius is the standard deviation. */
  blurMaxSigma: 1,
  /** Odds of rotating rather than scale-cropping. */
  rotateOrScale: 0.5,
  rotationProbability: 0.3,
  rotationMaxDegrees: 5,
  rotationZoom: 1.6,
  /** `RandomScaledCrop(p=0.5)` never read its `p`: it always ran. */
  scaledCropProbability: 1,
  scaledCropMaxScale: 2.5,
  colorJitterProbability: 0.5,
  /** Brightness, contrast, saturation and hue strength alike. */
  colorJitter: 0.08,
});

/**
 * The reference run's training augmentation, in its order: flip, Gaussian
 * blur, then with even odds a zoomed rotation or an independent-x/y scaled
 * crop, colour jitter, and a random `cropSize` square crop (padded with void
 * only where an image is smaller than the crop; the original crashed there).
 */
export function referenceAugmentation(cropSize: number): Augmentation {
  const a = REFERENCE_AUGMENTATION;
  const c = a.colorJitter;
  const rotate = randomRotation({ ignoreIndex: MSRC_VOID, probability: a.rotationProbability, maxDegrees: a.rotationMaxDegrees, zoom: a.rotationZoom });
  const scaledCrop = randomApply(randomScaledCrop({ minScale: 1, maxScale: a.scaledCropMaxScale }), a.scaledCropProbability);
  return compose([
    randomHorizontalFlip({ probability: a.flipProbability }),
    randomGaussianBlur({ probability: a.blurProbability, minSigma: 0, maxSigma: a.blurMaxSigma }),
    (s, rng) => (rng.bool(a.rotateOrScale) ? rotate(s, rng) : scaledCrop(s, rng)),
    randomApply(colorJitter({ brightness: c, contrast: c, saturation: c, hue: c }), a.colorJitterProbability),
    randomCrop({ size: cropSize, ignoreIndex: MSRC_VOID }),
  ]);
}

/** DeepLab's training augmentation: flip, one random scale in [0.5, 2], a `cropSize` square padded with void. */
export function paperAugmentation(cropSize: number): Augmentation {
  return compose([
    randomHorizontalFlip({ probability: 0.5 }),
    randomScale({ minScale: 0.5, maxScale: 2 }),
    randomCrop({ size: cropSize, ignoreIndex: MSRC_VOID }),
  ]);
}

/** The augmentation `--augmentation` names. */
export function trainingAugmentation(name: 'reference' | 'paper', cropSize: number): Augmentation {
  return name === 'paper' ? paperAugmentation(cropSize) : referenceAugmentation(cropSize);
}
