import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, normalizationCoefficients } from './normalize.js';

const f32 = (values: number[]) => Array.from(Float32Array.from(values));

describe('normalizationCoefficients', () => {
  it('gives byte * scale + offset = (byte / range - mean) / std for every form (hand-computed)', () => {
    expect(normalizationCoefficients('none')).toEqual({ scale: new Float32Array([1, 1, 1]), offset: new Float32Array(3) });
    expect(Array.from(normalizationCoefficients('unit').scale)).toEqual(f32([1 / 255, 1 / 255, 1 / 255]));
    // A runtime's own range (ONNX metadata's `scale`): (v / 1 - 0.5) / [0.25, 0.5, 1].
    const custom = normalizationCoefficients({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1], scale: 1 });
    expect(Array.from(custom.scale)).toEqual([4, 2, 1]);
    expect(Array.from(custom.offset)).toEqual([-2, -1, -0.5]);
    // The object form without `scale` is the 0-255 range, as 'imagenet' is.
    expect(normalizationCoefficients({ mean: IMAGENET_MEAN, std: IMAGENET_STD })).toEqual(normalizationCoefficients('imagenet'));
    const { scale, offset } = normalizationCoefficients('imagenet');
    expect(Array.from(scale)).toEqual(f32(IMAGENET_STD.map((s) => 1 / (255 * s))));
    expect(Array.from(offset)).toEqual(f32(IMAGENET_MEAN.map((m, i) => -m / IMAGENET_STD[i])));
  });

  it('refuses a bad description, naming it', () => {
    expect(() => normalizationCoefficients({ mean: [0, 0, 0], std: [1, 1, 1], scale: 0 })).toThrow(
      `normalize: expected 'imagenet', 'unit', 'none' or { mean: [r, g, b], std: [r, g, b], scale? } with std > 0 and scale > 0, got {"mean":[0,0,0],"std":[1,1,1],"scale":0}`,
    );
    expect(() => normalizationCoefficients({ mean: [0, 0], std: [1, 1, 1] })).toThrow(/got \{"mean":\[0,0\]/);
    expect(() => normalizationCoefficients({ mean: [0, 0, 0], std: [1, -1, 1] })).toThrow(/std > 0/);
  });
});
