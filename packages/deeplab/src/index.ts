/**
 * @seg/deeplab: DeepLabV3+ semantic segmentation for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { colorize, DEFAULT_OVERLAY_ALPHA, overlay } from './colorize.js';
export type { OverlayImage, Palette } from './colorize.js';
export {
  DEEPLAB_BACKBONES,
  DEEPLAB_OUTPUT_STRIDES,
  DEFAULT_BACKBONE,
  DEFAULT_DECODER_CHANNELS,
  DEFAULT_LOW_LEVEL_CHANNELS,
  DEFAULT_OUTPUT_STRIDE,
  MIN_INPUT_SIZE,
  resolveConfig,
} from './config.js';
export type { DeepLabBackbone, DeepLabOutputStride, DeepLabV3PlusConfig, ResolvedDeepLabV3PlusConfig } from './config.js';
export { deeplabV3PlusDecoder } from './decoder.js';
export type { DecoderArgs } from './decoder.js';
export { deeplabV3Plus } from './deeplab-v3-plus.js';
export { DeepLabV3PlusModel } from './deeplab-model.js';
export { InputSizeGuard, inputSizeGuard } from './input-size-guard.js';
export type { InputSizeGuardArgs } from './input-size-guard.js';
export { fileIO, loadModel, registerFileRouter, saveModel } from './model-files.js';
export type { FileIOOptions } from './model-files.js';
export { IMAGENET_MEAN, IMAGENET_STD, imageSize, normalize, preprocess } from './preprocess.js';
export type { BrowserImage, ImageInput, RawImage } from './preprocess.js';
export { segment } from './segment.js';
export type { Segmenter } from './segmenter.js';
export type { Segmentation, SegmentOptions } from './segment-options.js';
export { loadTrunkWeights } from './trunk-weights.js';
export { fromTorchvision } from './from-torchvision.js';
export type { FromTorchvisionOptions } from './from-torchvision.js';
export { TORCHVISION_MODELS, TORCHVISION_NUM_CLASSES, torchvisionModel } from './torchvision-models.js';
export type { TorchvisionModelName, TorchvisionModelOptions } from './torchvision-models.js';
export { deeplabHead, fcnHead, lrasppHead, TORCHVISION_ASPP_RATES } from './torchvision-heads.js';
export { VOC_CLASSES, VOC_PALETTE } from './voc-classes.js';
export { loadReferenceMsrcWeights, REFERENCE_MSRC_ARCHITECTURE } from './reference-weights.js';
export type { ReferenceMsrcFiles } from './reference-weights.js';
export { DEFAULT_ONNX_OPSET, exportOnnx, ONNX_IR_VERSIONS } from './onnx/export-onnx.js';
export type { ExportOnnxOptions } from './onnx/export-onnx.js';
export type { OnnxPrecision } from './onnx/onnx-graph.js';
export { ONNX_METADATA_FORMAT, ONNX_METADATA_KEYS } from './onnx/onnx-metadata.js';
export { loadOnnxSegmenter } from './onnx/load-onnx-segmenter.js';
export type { OnnxSegmenterOptions } from './onnx/load-onnx-segmenter.js';
export type { ModelSource } from './onnx/model-source.js';
export { ORT_PACKAGES } from './onnx/ort-runtime.js';
export type { OrtModule, OrtRuntimeName, OrtSession, OrtTensor } from './onnx/ort-runtime.js';
