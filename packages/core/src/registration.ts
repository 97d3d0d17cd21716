/**
 * The one place @seg/core registers what it adds to tfjs, run once on
 * `import '@seg/core'`:
 *
 * - the dilation-aware convolution gradients and the kernels the wasm
 *   backend lacks ({@link registerSegKernels}; `selectBackend` runs it again
 *   for a backend whose package loaded later);
 * - quiet `cpu` and `wasm` backends in Node: no "install our node backend"
 *   banner, and user errors printed without the wasm glue's rethrow
 *   ({@link quietTfjsBackends}; `selectBackend` runs it again too);
 * - the layer-by-layer training step of every layer class the engine covers
 *   (`modelGradients`): tfjs-layers' own classes, then @seg's, each of which
 *   owns its step next to its `call()`.
 *
 * A new layer class joins with one line here (and its step beside its class).
 *
 * @module
 */
import { quietTfjsBackends } from './backends/quiet-backends.js';
import { registerLayerGradient } from './backprop/layer-gradient.js';
import { TFJS_LAYER_GRADIENTS } from './backprop/tfjs-layer-gradients.js';
import { registerSegKernels } from './kernels/register.js';
import { AtrousConv2D, atrousConv2dGradient } from './layers/atrous-conv2d.js';
import { AtrousDepthwiseConv2D, atrousDepthwiseConv2dGradient } from './layers/atrous-depthwise-conv2d.js';
import { AtrousSeparableConv2D, atrousSeparableConv2dGradient } from './layers/atrous-separable-conv2d.js';
import { BatchNormAct, batchNormActGradient } from './layers/batch-norm-act.js';
import { HardSigmoid, hardSigmoidGradient, HardSwish, hardSwishGradient } from './layers/hard-activations.js';
import { ResizeBilinear, resizeBilinearGradient } from './layers/resize-bilinear.js';

registerSegKernels();
quietTfjsBackends();
// Again once the importing program's other imports have run: `import '@seg/core'` may come before
// `import '@tensorflow/tfjs-backend-cpu'`, whose backend registers only then.
queueMicrotask(quietTfjsBackends);

for (const [className, gradient] of Object.entries(TFJS_LAYER_GRADIENTS)) registerLayerGradient(className, gradient);
registerLayerGradient(AtrousConv2D, atrousConv2dGradient);
registerLayerGradient(AtrousSeparableConv2D, atrousSeparableConv2dGradient);
registerLayerGradient(AtrousDepthwiseConv2D, atrousDepthwiseConv2dGradient);
registerLayerGradient(BatchNormAct, batchNormActGradient);
registerLayerGradient(HardSwish, hardSwishGradient);
registerLayerGradient(HardSigmoid, hardSigmoidGradient);
registerLayerGradient(ResizeBilinear, resizeBilinearGradient);
