import { describe, expect, it } from 'vitest';
import { ONNX_METADATA_KEYS as K, parseSegmenterMetadata } from './onnx-metadata.js';

const GOOD = {
  [K.format]: '1',
  [K.layout]: 'NCHW',
  [K.normalization]: '{"scale":255,"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}',
  [K.numClasses]: '21',
  [K.minInputSize]: '32',
  [K.peakBytesPerPixel]: '5120',
};

describe('parseSegmenterMetadata', () => {
  it('reads what exportOnnx writes', () => {
    expect(parseSegmenterMetadata('m.onnx', GOOD)).toEqual({
      normalization: { scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      numClasses: 21,
      minInputSize: 32,
      peakBytesPerPixel: 5120,
    });
  });

  // Each value would have switched the memory check off or made it meaningless.
  const cases: [string, string, string][] = [
    [K.peakBytesPerPixel, '1e-300', 'a number from 4 to 1048576 (float32 bytes live per input pixel)'],
    [K.peakBytesPerPixel, '1e300', 'a number from 4 to 1048576'],
    [K.peakBytesPerPixel, 'Infinity', 'a number from 4 to 1048576'],
    [K.numClasses, '1e9', 'an integer from 1 to 65536 (classes of the logits)'],
    [K.numClasses, '2.5', 'an integer from 1 to 65536'],
    [K.minInputSize, '1e-300', 'an integer from 1 to 4096 (pixels per side)'],
    [K.minInputSize, '0', 'an integer from 1 to 4096'],
  ];
  for (const [key, value, expected] of cases) {
    it(`refuses ${key}=${value}, naming the key and the range`, () => {
      expect(() => parseSegmenterMetadata('m.onnx', { ...GOOD, [key]: value })).toThrow(`loadOnnxSegmenter: m.onnx has ${key}="${value}"; expected ${expected}`);
    });
  }
});
