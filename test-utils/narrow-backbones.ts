import type { BackboneName } from '../packages/core/src/index.js';

/**
 * Options that make a backbone cheap for tests and keep its real topology:
 * ResNets with torchvision's block counts and 4 channels at stage 1,
 * MobileNetV3 at width 0.25.
 */
export function narrowBackboneOptions(backbone: BackboneName | undefined): Record<string, unknown> {
  return backbone === 'mobilenet_v3_large' ? { widthMultiplier: 0.25 } : { baseWidth: 4 };
}
