import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { OUTPUT_STRIDES } from '../layers/output-stride.js';
import { BACKBONE_NAMES, BACKBONES, type BackboneName, getBackbone } from './get-backbone.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/resnet-parity/${name}`, import.meta.url));

describe('getBackbone [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('returns the model with its channels and strides, matching the model’s outputs', async () => {
    const backbone = getBackbone('resnet50', {
      outputStride: 8,
      inputShape: [64, 48, 3],
      blocks: [1, 2, 2, 2],
      baseWidth: 8,
      widthPerGroup: 32,
    });
    expect(backbone.name).toBe('resnet50');
    expect(backbone.model.name).toBe('resnet50');
    expect(backbone.outChannels).toEqual([256, 32]);
    expect(backbone.outputStride).toBe(8);
    const [high, low] = backbone.model.outputs;
    expect(high.shape).toEqual([null, 64 / 8, 48 / 8, backbone.outChannels[0]]);
    expect(low.shape).toEqual([null, 64 / backbone.lowOutputStride, 48 / backbone.lowOutputStride, backbone.outChannels[1]]);
    const report = await backbone.loadWeights(fixture('resnet50.safetensors'));
    expect(report.loaded.length).toBeGreaterThan(50);
    backbone.model.dispose();
  });

  it('defaults to torchvision widths at output stride 16', () => {
    const { model, outChannels, outputStride } = getBackbone('resnet18');
    expect(outChannels).toEqual([512, 64]);
    expect(outputStride).toBe(16);
    expect(model.outputs.map((o) => o.shape[3])).toEqual([512, 64]);
    model.dispose();
  });

  it('builds every registry entry at each output stride it declares, with the channels and strides it declares', () => {
    expect(BACKBONE_NAMES).toEqual(Object.keys(BACKBONES));
    for (const name of BACKBONE_NAMES) {
      expect(BACKBONES[name].outputStrides).toEqual(OUTPUT_STRIDES);
      for (const outputStride of BACKBONES[name].outputStrides) {
        const narrow = name === 'mobilenet_v3_large' ? { widthMultiplier: 0.25 } : { blocks: [1, 1, 1, 1] as [1, 1, 1, 1], baseWidth: 4 };
        const backbone = getBackbone(name, { outputStride, inputShape: [64, 32, 3], ...narrow });
        const [high, low] = backbone.model.outputs;
        expect([high.shape, low.shape], `${name} OS ${outputStride}`).toEqual([
          [null, 64 / outputStride, 32 / outputStride, backbone.outChannels[0]],
          [null, 64 / backbone.lowOutputStride, 32 / backbone.lowOutputStride, backbone.outChannels[1]],
        ]);
        backbone.model.dispose();
      }
    }
  });

  it("refuses another family's options and unknown ones, naming the valid ones", () => {
    // @ts-expect-error baseWidth is a ResNet option: a type error as well as a runtime one.
    expect(() => getBackbone('mobilenet_v3_large', { baseWidth: 8 })).toThrow(
      'getBackbone: mobilenet_v3_large options: mobilenet_v3_large has no option "baseWidth"; its options are outputStride, inputShape, name, widthMultiplier',
    );
    // @ts-expect-error widthMultiplier is a MobileNetV3 option.
    expect(() => getBackbone('resnet50', { widthMultiplier: 0.5 })).toThrow(
      'getBackbone: resnet50 options: resnet50 has no option "widthMultiplier"; its options are outputStride, inputShape, name, blocks, baseWidth, widthPerGroup, dilateFirstBlock',
    );
    expect(() => getBackbone('resnet18', { basewidth: 8 } as never)).toThrow('resnet18 has no option "basewidth"');
  });

  it('MobileNetV3-Large: 960 and 24 channels at width 1, low features at stride 4', () => {
    const { model, outChannels, lowOutputStride } = getBackbone('mobilenet_v3_large');
    expect(outChannels).toEqual([960, 24]);
    expect(lowOutputStride).toBe(4);
    expect(model.outputs.map((o) => o.shape[3])).toEqual(outChannels);
    model.dispose();
  });

  it('lists the valid names on an unknown one, and the valid strides on an unsupported one', () => {
    expect(() => getBackbone('resnet18', { outputStride: 4 as 8 })).toThrow('getBackbone: resnet18 outputStride is 4; expected one of 8, 16, 32');
    expect(BACKBONE_NAMES).toEqual(['resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenet_v3_large']);
    expect(() => getBackbone('resnet152' as BackboneName)).toThrow(
      'getBackbone: unknown backbone "resnet152"; valid names are resnet18, resnet34, resnet50, resnet101, mobilenet_v3_large',
    );
    expect(() => getBackbone('toString' as BackboneName)).toThrow(/unknown backbone "toString"/);
  });
});
