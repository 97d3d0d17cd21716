import { describe, expect, it } from 'vitest';
import { BACKBONE_NAMES } from '@seg/core';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { DEEPLAB_OUTPUT_STRIDES, DEPRECATED_ASPP_KEYS, type DeepLabV3PlusConfig, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  it('fills the documented defaults', () => {
    expect(resolveConfig({ numClasses: 22 })).toEqual({
      backbone: 'resnet101',
      outputStride: 16,
      numClasses: 22,
      inputShape: [null, null, 3],
      aspp: { rates: [6, 12, 18], filters: 256, separable: false, dropout: 0.5, spatialDropout: false, branchDropout: 0, useBias: false },
      lowLevelChannels: 48,
      decoderDropout: [0, 0, 0],
      backboneOptions: {},
      seed: null,
    });
  });

  it('doubles the ASPP rates at output stride 8', () => {
    expect(resolveConfig({ numClasses: 2, outputStride: 8 }).aspp.rates).toEqual([12, 24, 36]);
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
    ['aspp', { aspp: 'big' }, /config\.aspp is "big"; expected an object of ASPP options/],
    ['aspp.rates', { aspp: { rates: [6, 12] } }, /config\.aspp\.rates is \[6,12\]; expected three positive integers/],
    ['aspp.rates', { aspp: { rates: [6, 0, 18] } }, /config\.aspp\.rates is \[6,0,18\]; expected three positive integers/],
    ['aspp.separable', { aspp: { separable: 'yes' } }, /config\.aspp\.separable is "yes"; expected true or false/],
    ['aspp.filters', { aspp: { filters: 0 } }, /config\.aspp\.filters is 0; expected a positive integer/],
    ['aspp.dropout', { aspp: { dropout: 1 } }, /config\.aspp\.dropout is 1; expected a rate in \[0, 1\)/],
    ['aspp.branchDropout', { aspp: { branchDropout: 1.5 } }, /config\.aspp\.branchDropout is 1\.5; expected a rate in \[0, 1\)/],
    ['aspp.useBias', { aspp: { useBias: 1 } }, /config\.aspp\.useBias is 1; expected true or false/],
    ['aspp unknown key', { aspp: { separableAspp: true } }, /config\.aspp\.separableAspp is not an ASPP option; expected one of rates, filters, separable/],
    ['deprecated asppRates', { asppRates: [6, 0, 18] }, /config\.aspp\.rates is \[6,0,18\]/],
    ['deprecated vs new', { separableAspp: true, aspp: { separable: false } }, /config\.separableAspp \(deprecated, now config\.aspp\.separable\) is true but config\.aspp\.separable is false/],
    ['unknown key', { separableASPP: true }, /config\.separableASPP is no option; expected one of backbone, outputStride, numClasses, inputShape, aspp, .* \(ASPP options go under config\.aspp\)/],
    ['lowLevelChannels', { lowLevelChannels: -48 }, /config\.lowLevelChannels is -48/],
    ['decoderDropout', { decoderDropout: [0.5, 0.5] }, /config\.decoderDropout is \[0\.5,0\.5\]; expected three rates/],
    ['decoderDropout', { decoderDropout: [0.5, 0.5, 1] }, /config\.decoderDropout\[2\] is 1; expected a rate/],
    ['seed', { seed: 1.5 }, /config\.seed is 1\.5; expected an integer/],
  ];
  it.each(bad)('names the bad field %s and its valid values', (_field, patch, message) => {
    expect(() => resolveConfig({ numClasses: 3, ...patch } as DeepLabV3PlusConfig)).toThrow(message);
  });

  it('reads the deprecated flat ASPP keys as their aspp.* names', () => {
    const old = { numClasses: 3, asppRates: [4, 8, 14], separableAspp: true, decoderChannels: 64, dropout: 0.1, spatialDropout: true, asppBranchDropout: 0.5, asppBias: true };
    const renamed = { numClasses: 3, aspp: { rates: [4, 8, 14], separable: true, filters: 64, dropout: 0.1, spatialDropout: true, branchDropout: 0.5, useBias: true } };
    expect(resolveConfig(old as DeepLabV3PlusConfig)).toEqual(resolveConfig(renamed as DeepLabV3PlusConfig));
    expect(resolveConfig(old as DeepLabV3PlusConfig).aspp).toEqual(renamed.aspp);
    // Every deprecated key is in the table, and no resolved config carries one.
    expect(Object.keys(DEPRECATED_ASPP_KEYS).sort()).toEqual(Object.keys(old).filter((k) => k !== 'numClasses').sort());
    expect(Object.keys(resolveConfig(old as DeepLabV3PlusConfig)).filter((k) => k in DEPRECATED_ASPP_KEYS)).toEqual([]);
    // The same value under both names is no conflict.
    expect(resolveConfig({ numClasses: 3, asppBias: true, aspp: { useBias: true } }).aspp.useBias).toBe(true);
  });

  it("types and checks backboneOptions per backbone, naming an unknown key and the backbone's options", () => {
    expect(() =>
      // @ts-expect-error baseWidth is a ResNet option, not MobileNetV3's.
      deeplabV3Plus({ numClasses: 3, backbone: 'mobilenet_v3_large', backboneOptions: { baseWidth: 8 } }),
    ).toThrow('deeplabV3Plus: config.backboneOptions: mobilenet_v3_large has no option "baseWidth"; its options are widthMultiplier');
    expect(() =>
      // @ts-expect-error the default backbone is resnet101, which has no widthMultiplier.
      deeplabV3Plus({ numClasses: 3, backboneOptions: { widthMultiplier: 0.5 } }),
    ).toThrow('resnet101 has no option "widthMultiplier"; its options are blocks, baseWidth, widthPerGroup, dilateFirstBlock');
    // The model sets these itself: they are no backboneOptions.
    expect(() => resolveConfig({ numClasses: 3, backbone: 'resnet18', backboneOptions: { outputStride: 8 } as never })).toThrow(
      'resnet18 has no option "outputStride"',
    );
    expect(() => resolveConfig({ numClasses: 3, backboneOptions: 'narrow' as never })).toThrow('config.backboneOptions is "narrow"; expected an object of resnet101 options');
    expect(resolveConfig({ numClasses: 3, backbone: 'mobilenet_v3_large', backboneOptions: { widthMultiplier: 0.5 } }).backboneOptions).toEqual({ widthMultiplier: 0.5 });
  });

  it('rejects a missing config', () => {
    expect(() => resolveConfig(undefined as unknown as DeepLabV3PlusConfig)).toThrow(/config must be an object/);
  });
});
