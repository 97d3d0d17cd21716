/** ImageNet per-channel mean of RGB values in [0, 1], as torchvision's pretrained models expect. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet per-channel standard deviation of RGB values in [0, 1]. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * How 8-bit pixels become a model's floats, the one description shared by
 * the batch stream, `@seg/deeplab`'s preprocessing and ONNX metadata:
 * `'imagenet'` gives `(v/255 - mean) / std` with
 * {@link IMAGENET_MEAN}/{@link IMAGENET_STD}; `'unit'` gives `v/255`;
 * `'none'` keeps `v` (0..255); an object gives `(v/scale - mean) / std` with
 * your own per-channel statistics (`scale` default 255).
 */
export type Normalization =
  | 'imagenet'
  | 'unit'
  | 'none'
  | { mean: readonly number[]; std: readonly number[]; scale?: number };

/**
 * Per-channel `scale` and `offset` such that `float = byte * scale + offset`,
 * as float32 (the precision the model computes in): the one place a
 * {@link Normalization} becomes numbers.
 *
 * @throws If a custom std or scale is not positive or a tuple does not have 3 entries.
 */
export function normalizationCoefficients(n: Normalization): { scale: Float32Array; offset: Float32Array } {
  if (n === 'none') return { scale: new Float32Array([1, 1, 1]), offset: new Float32Array(3) };
  if (n === 'unit') return { scale: new Float32Array([1, 1, 1].map((v) => v / 255)), offset: new Float32Array(3) };
  const { mean, std, scale = 255 } = n === 'imagenet' ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : n;
  if (mean?.length !== 3 || std?.length !== 3 || std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m)) || !(scale > 0 && scale < Infinity)) {
    throw new Error(
      `normalize: expected 'imagenet', 'unit', 'none' or { mean: [r, g, b], std: [r, g, b], scale? } with std > 0 and scale > 0, got ${JSON.stringify(n)}`,
    );
  }
  return {
    scale: Float32Array.from(std, (s) => 1 / (scale * s)),
    offset: Float32Array.from(mean, (m, i) => -m / std[i]),
  };
}
