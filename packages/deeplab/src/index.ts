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
export { formatDuration } from './cli/format-duration.js';
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
export { BatchRun } from './batch/batch-run.js';
export type { BatchProgress, BatchSource } from './batch/batch-run.js';
export {
  FileError,
  ImageReadError,
  MissingPeerError,
  ModelLoadError,
  SegmentationError,
  WorkerCrashError,
} from './batch/errors.js';
export { readImage } from './batch/image-files.js';
export { exclusiveQueue, segmentImageFile } from './batch/image-job.js';
export type { Exclusive, ImageOutcome, ImageTask, SegmentSettings } from './batch/image-job.js';
export { expandInputs, IMAGE_EXTENSIONS } from './batch/inputs.js';
export type { BatchInput, ExpandInputsOptions } from './batch/inputs.js';
export { checkSaveKinds, OUTPUT_SUFFIXES, SAVE_KINDS } from './batch/outputs.js';
export type { OutputPaths, SaveKind } from './batch/outputs.js';
export { planBatch } from './batch/plan.js';
export type { BatchPlan, PlannedImage, PlanOptions, RefusedImage } from './batch/plan.js';
export { encodeLabelPng, encodeRgbPng, encodeScoresPng } from './batch/png.js';
export { IMAGES_IN_FLIGHT_PER_WORKER, SegmentPool } from './batch/pool/pool.js';
export type { SegmentPoolOptions } from './batch/pool/pool.js';
export { backoffDelay, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, resolveRetry, runTasks } from './batch/run-tasks.js';
export type { RetryOptions, TaskRunner } from './batch/run-tasks.js';
export { segmentMany } from './batch/segment-many.js';
export type { SegmentManyOptions } from './batch/segment-many.js';
export { loadSegmenter, readModelClasses } from './batch/segmenter-loader.js';
export type { LoadedSegmenter } from './batch/segmenter-loader.js';
export { SUMMARY_FILE, SummaryBuilder, writeSummary } from './batch/summary.js';
export type { BatchFailure, BatchSummary, ImageResult, ImageStatus, SummaryStart } from './batch/summary.js';
export { vocPalette } from './batch/voc-palette.js';
export { connectRedis, REDIS_RECONNECT_MAX_MS } from './queue/connection.js';
export { addRunJobs, enqueueSegmentation } from './queue/enqueue.js';
export type { EnqueueOptions, QueuedRun } from './queue/enqueue.js';
export { checkJobData, SEGMENT_JOB_NAME, segmentJobId } from './queue/job-data.js';
export type { SegmentJobData } from './queue/job-data.js';
export { DEFAULT_QUEUE_NAME, parseQueueUrl } from './queue/queue-url.js';
export type { QueueAddress } from './queue/queue-url.js';
export { watchQueuedRun } from './queue/watch.js';
export type { SegmentJobResult, WatchOptions } from './queue/watch.js';
export {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  MAX_STALLED_COUNT,
  startSegmentWorker,
} from './queue/worker.js';
export type { SegmentWorker, SegmentWorkerOptions } from './queue/worker.js';
