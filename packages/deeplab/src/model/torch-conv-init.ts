import * as tfl from '@tensorflow/tfjs-layers';
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers.js';

/**
 * The initialisers of a conv that starts as PyTorch's `nn.Conv2d` does
 * (`reset_parameters`: `kaiming_uniform_(a=√5)` for the kernel, then the bias
 * uniform in ±1/√fan_in), so both are uniform in ±1/√fan_in with fan_in =
 * in·kh·kw. torchvision's fine-tuning recipe replaces a classifier with a
 * fresh `nn.Conv2d`; a replaced head here starts from the same distribution.
 *
 * @param fanIn The conv's input channels times its kernel area.
 */
export function torchConvInitializers(fanIn: number): { kernelInitializer: Initializer; biasInitializer: Initializer } {
  const bound = 1 / Math.sqrt(fanIn);
  return {
    // varianceScaling's uniform limit is √(3·scale/fan_in): scale 1/3 gives 1/√fan_in.
    kernelInitializer: tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' }),
    biasInitializer: tfl.initializers.randomUniform({ minval: -bound, maxval: bound }),
  };
}
