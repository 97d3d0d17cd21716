import { describe, expect, it } from 'vitest';
import { BACKBONE_NAMES } from '@seg/core';
import { DEEPLAB_OUTPUT_STRIDES, type DeepLabV3PlusConfig, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  it('fills the documented defaults', () => {
    expect(resolveConfig({ numClasses: 22 })).toEqual({
      backbone: 'resnet101',
      outputStride: 16,
      numClasses: 22,
      inputShape: [null, null, 3],
      asppRates: [6, 12, 18],
      separableAspp: false,
      lowLevelChannels: 48,
      decoderChannels: 256,
      dropout: 0.5,
      spatialDropout: false,
      asppBranchDropout: 0,
      asppBias: false,
      decoderDropout: [0, 0, 0],
      backboneOptions: {},
      seed: null,
    });
  });

  it('doubles the ASPP rates at output stride 8', () => {
    expect(resolveConfig({ numClasses: 2, outputStride: 8 }).asppRates).toEqual([12, 24, 36]);
  });

  it('builds on every backbone of the core registry, at output strides 8 and 16', () => {
    expect(BACKBONE_NAMES).toEqual(['resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenet_v3_large']);
    expect(DEEPLAB_OUTPUT_STRIDES).toEqual([8, 16]);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['backbone', { backbone: 'vgg16' }, /config\.backbone is "vgg16"; expected one of resnet18, resnet34, resnet50, resnet101, mobilenet_v3_large/],
    ['outputStride', { outputStride: 32 }, /config\.outputStride is 32; expected one of 8, 16$/],
    ['numClasses', { numClasses: 0 }, /config\.numClasses is 0; expected a positive integer/],
    ['numClasses', { numClasses: 2.5 }, /config\.numClasses is 2\.5; expected a positive integer/],
    ['inputShape', { inputShape: [16, 64, 3] }, /config\.inputShape is \[16,64,3\]; expected \[height, width, 3\] with each side null or an integer >= 32/],
    ['inputShape', { inputShape: [64, 64, 1] }, /config\.inputShape is \[64,64,1\]/],
    ['asppRates', { asppRates: [6, 12] }, /config\.asppRates is \[6,12\]; expected three positive integers/],
    ['asppRates', { asppRates: [6, 0, 18] }, /config\.asppRates\[1\] is 0; expected a positive integer/],
    ['separableAspp', { separableAspp: 'yes' }, /config\.separableAspp is "yes"; expected true or false/],
    ['lowLevelChannels', { lowLevelChannels: -48 }, /config\.lowLevelChannels is -48/],
    ['decoderChannels', { decoderChannels: 0 }, /config\.decoderChannels is 0/],
    ['dropout', { dropout: 1 }, /config\.dropout is 1; expected a rate in \[0, 1\)/],
    ['asppBranchDropout', { asppBranchDropout: 1.5 }, /config\.asppBranchDropout is 1\.5; expected a rate in \[0, 1\)/],
    ['decoderDropout', { decoderDropout: [0.5, 0.5] }, /config\.decoderDropout is \[0\.5,0\.5\]; expected three rates/],
    ['decoderDropout', { decoderDropout: [0.5, 0.5, 1] }, /config\.decoderDropout\[2\] is 1; expected a rate/],
    ['asppBias', { asppBias: 1 }, /config\.asppBias is 1; expected true or false/],
    ['seed', { seed: 1.5 }, /config\.seed is 1\.5; expected an integer/],
  ];
  it.each(bad)('names the bad field %s and its valid values', (_field, patch, message) => {
    expect(() => resolveConfig({ numClasses: 3, ...patch } as DeepLabV3PlusConfig)).toThrow(message);
  });

  it('rejects a missing config', () => {
    expect(() => resolveConfig(undefined as unknown as DeepLabV3PlusConfig)).toThrow(/config must be an object/);
  });
});
