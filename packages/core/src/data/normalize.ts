/** ImageNet per-channel mean of RGB values in [0, 1], as torchvision's pretrained models expect. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet per-channel standard deviation of RGB values in [0, 1]. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * How 8-bit pixels become floats: `'imagenet'` gives `(v/255 - mean) / std`
 * with {@link IMAGENET_MEAN}/{@link IMAGENET_STD}; `'unit'` gives `v/255`;
 * `'none'` keeps `v` (0..255); an object gives `(v/255 - mean) / std` with
 * your own per-channel statistics.
 */
export type Normalization =
  | 'imagenet'
  | 'unit'
  | 'none'
  | { mean: readonly [number, number, number]; std: readonly [number, number, number] };

/**
 * Per-channel `scale` and `offset` such that `float = byte * scale + offset`.
 *
 * @throws If a custom std is not positive or a tuple does not have 3 entries.
 */
export function normalizationCoefficients(n: Normalization): { scale: Float32Array; offset: Float32Array } {
  if (n === 'none') return { scale: new Float32Array([1, 1, 1]), offset: new Float32Array(3) };
  if (n === 'unit') return { scale: new Float32Array([1, 1, 1].map((v) => v / 255)), offset: new Float32Array(3) };
  const { mean, std } = n === 'imagenet' ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : n;
  if (mean?.length !== 3 || std?.length !== 3 || std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
    throw new Error(
      `normalize: expected 'imagenet', 'unit', 'none' or { mean: [r, g, b], std: [r, g, b] } with std > 0, got ${JSON.stringify(n)}`,
    );
  }
  return {
    scale: Float32Array.from(std, (s) => 1 / (255 * s)),
    offset: Float32Array.from(mean, (m, i) => -m / std[i]),
  };
}
