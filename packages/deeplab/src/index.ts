/**
 * @seg/deeplab: DeepLabV3+ semantic segmentation for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { colorize, DEFAULT_OVERLAY_ALPHA, overlay } from './classes/colorize.js';
export type { OverlayImage, Palette } from './classes/colorize.js';
export {
  DEEPLAB_BACKBONES,
  DEEPLAB_OUTPUT_STRIDES,
  DEFAULT_BACKBONE,
  DEFAULT_DECODER_CHANNELS,
  DEFAULT_LOW_LEVEL_CHANNELS,
  DEFAULT_OUTPUT_STRIDE,
  MIN_INPUT_SIZE,
  resolveConfig,
} from './model/config.js';
export type { DeepLabBackbone, DeepLabOutputStride, DeepLabV3PlusConfig, ResolvedDeepLabV3PlusConfig } from './model/config.js';
export { deeplabV3PlusDecoder } from './model/decoder.js';
export type { DecoderArgs } from './model/decoder.js';
export { deeplabV3Plus } from './model/deeplab-v3-plus.js';
export { DeepLabV3PlusModel } from './model/deeplab-model.js';
export { InputSizeGuard, inputSizeGuard } from './model/input-size-guard.js';
export { checkModelClasses, classPalette, getModelClasses, MODEL_CLASSES_KEY, modelClassCount, setModelClasses } from './classes/model-classes.js';
export type { ModelClass } from './classes/model-classes.js';
export type { InputSizeGuardArgs } from './model/input-size-guard.js';
export { fileIO, loadModel, registerFileRouter, saveModel } from './model/model-files.js';
export type { FileIOOptions, LoadModelOptions } from './model/model-files.js';
export { IMAGENET_MEAN, IMAGENET_STD, imageSize, normalize, preprocess } from './inference/preprocess.js';
export type { BrowserImage, ImageInput, RawImage } from './inference/preprocess.js';
export { segment } from './inference/segment.js';
export type { Segmenter } from './inference/segmenter.js';
export type { Segmentation, SegmentOptions } from './inference/segment-options.js';
export { loadTrunkWeights } from './torchvision/trunk-weights.js';
export { fromTorchvision } from './torchvision/from-torchvision.js';
export type { FromTorchvisionOptions } from './torchvision/from-torchvision.js';
export { TORCHVISION_MODELS, TORCHVISION_NUM_CLASSES, torchvisionModel } from './torchvision/torchvision-models.js';
export type { TorchvisionModelName, TorchvisionModelOptions } from './torchvision/torchvision-models.js';
export { deeplabHead, fcnHead, lrasppHead, TORCHVISION_ASPP_RATES } from './torchvision/torchvision-heads.js';
export { VOC_CLASSES, VOC_MODEL_CLASSES, VOC_PALETTE } from './classes/voc-classes.js';
export { vocPalette } from '@seg/datasets/classes';
export { loadReferenceMsrcWeights, REFERENCE_MSRC_ARCHITECTURE } from './torchvision/reference-weights.js';
export type { ReferenceMsrcFiles } from './torchvision/reference-weights.js';
export { DEFAULT_ONNX_OPSET, exportOnnx, ONNX_IR_VERSIONS } from './onnx/export-onnx.js';
export type { ExportOnnxOptions } from './onnx/export-onnx.js';
export type { OnnxPrecision } from './onnx/onnx-graph.js';
export { ONNX_METADATA_FORMAT, ONNX_METADATA_KEYS } from './onnx/onnx-metadata.js';
export { loadOnnxSegmenter } from './onnx/load-onnx-segmenter.js';
export type { OnnxSegmenterOptions } from './onnx/load-onnx-segmenter.js';
export type { ModelSource } from './onnx/model-source.js';
export { ORT_PACKAGES } from './onnx/ort-runtime.js';
export type { OrtModule, OrtRuntimeName, OrtSession, OrtTensor } from './onnx/ort-runtime.js';
export { tfjsSegmenter } from './inference/tfjs-segmenter.js';
