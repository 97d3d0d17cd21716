/**
 * @seg/core: TensorFlow.js building blocks for semantic segmentation.
 *
 * Importing this module registers the dilation-aware convolution gradients and
 * the kernels the wasm backend lacks (see {@link registerSegKernels}), the
 * layer-by-layer training steps of the layers it covers, and the library's
 * layer classes for model (de)serialisation.
 *
 * The main entry holds what the guides use: layers, backbones, data and
 * augmentations, losses, metrics, the `Trainer` and its callbacks, weight
 * files, model files and backends. Two subpaths hold the rest:
 * `@seg/core/kernels` (the gradient kernels and their configs, for benchmarks
 * and custom registration) and `@seg/core/internals` (the plumbing the other
 * `@seg` packages share; no semver promise).
 *
 * @packageDocumentation
 */
import './registration.js';

export { registerSegKernels } from './kernels/index.js';

// Layers: each class is registered for (de)serialisation; the lower-camel factory is the entry.
export {
  ASPP_RATES_OS16, AtrousConv2D, AtrousDepthwiseConv2D, AtrousSeparableConv2D, BatchNormAct, DEFAULT_ASPP_DROPOUT,
  DEFAULT_ASPP_FILTERS, DEFAULT_OUTPUT_STRIDE, HardSigmoid, HardSwish, OUTPUT_STRIDES, ResizeBilinear, aspp,
  asppRatesFor, atrousConv2d, atrousDepthwiseConv2d, atrousSeparableConv2d, batchNormAct, hardSigmoid, hardSwish,
  interpolateBilinear, resizeBilinear,
} from './layers/index.js';
export type {
  ASPPHeadOptions, ASPPOptions, AtrousConv2DArgs, AtrousDepthwiseConv2DArgs, AtrousSeparableConv2DArgs, BatchNormActArgs,
  OutputStride, ResizeBilinearArgs,
} from './layers/index.js';

// Backbones and torchvision weights.
export {
  BACKBONE_NAMES, BACKBONES, RESNET_DEPTHS, applyTorchvisionWeights, getBackbone, loadTorchvisionWeights,
  mobileNetV3Large, resnet, torchvisionWeightSpecs,
} from './backbones/index.js';
export type {
  Backbone, BackboneName, BackboneOptions, BackboneOptionsByName, BackboneSpec, CommonBackboneOptions, MobileNetV3Options, ResNetOptions, ResNetDepth,
  TorchvisionWeightSpec, TorchvisionWeightsOptions, TorchvisionWeightsReport,
} from './backbones/index.js';

// Data: datasets, batches and seeded augmentations.
export {
  IMAGENET_MEAN, IMAGENET_STD, MEAN_PIXEL_FILL, SeededRng, centerCrop, colorJitter, compose, inMemoryDataset, oneOf,
  randomApply, randomCrop, randomGaussianBlur, randomHorizontalFlip, randomRotation, randomScale, randomScaledCrop,
  resumableBatches, segmentationBatches, withSeededRandom,
} from './data/index.js';
export type {
  Augmentation, ColorJitterOptions, CropOptions, DataPosition, LabeledImage, Normalization, Pixels,
  RandomGaussianBlurOptions, RandomHorizontalFlipOptions, RandomRotationOptions, RandomScaleOptions,
  RandomScaledCropOptions, ResumableBatches, RgbImage, SampleTransform, SegmentationBatch,
  SegmentationBatchesOptions, SegmentationBatchStream, SegmentationDataset, SegmentationSample,
} from './data/index.js';

// Losses and metrics.
export {
  combinedLoss, diceLoss, focalLoss, lovaszSoftmaxLoss, medianFrequencyWeights, sparseCrossEntropyLoss,
  sparseSoftmaxCrossEntropy,
} from './losses/index.js';
export type {
  CrossEntropyOptions, DiceLossOptions, FocalLossOptions, LovaszSoftmaxOptions, MedianFrequencyOptions,
  SegmentationLoss, SegmentationMetrics,
} from './losses/index.js';
export { BoundaryF1Accumulator, boundaryF1, ConfusionMatrix } from './metrics/index.js';
export type {
  BoundaryCounts, BoundaryF1Options, BoundaryF1Result, BoundaryScores, ConfusionMatrixOptions, SegmentationScores,
} from './metrics/index.js';

// Training: the loop, its callbacks, optimizers, run folders.
export {
  Adam, AdamW, acquireRunLock, BestModelSaver, createOptimizer, EarlyStopping, evaluateSegmentation, LR_SCHEDULES,
  lockRunFolder, lrSchedule, Monitor, MonitoredCallback, NonFiniteTrainingError, OPTIMIZERS, RunLockedError,
  replicaDeviceEnvironment, Trainer, visibleGpus,
} from './train/index.js';
export type {
  BestModelDecision, BestModelSaverOptions, BestModelSaverState, CheckpointAt, EarlyStoppingOptions,
  EarlyStoppingState, EarlyStoppingVerdict, EvaluateOptions, Evaluation, EvaluationResult, EvaluationReport,
  EvaluationScores, EvaluationSnapshot, FitContext, FitEnd, FitOptions, FitResult, MonitorBest, MonitorMode,
  MonitorOptions, MonitorState, NonFiniteKind, ParameterGroupOptions, RestoreOptions, RestoreResult, RunLock,
  RunLockHolder, StepLogs, TrainBatch, TrainerOptions, TrainerWorkers, TrainingCallback, VisibleGpus,
  LrSchedule, LrScheduleName, LrScheduleOptions, OptimizerName, OptimizerOptions,
} from './train/index.js';
export { ConfigMismatchError } from './run-state/index.js';
export type { ConfigChange, JsonObject, JsonValue, PartWeights, StatefulPart } from './run-state/index.js';

// Layer-by-layer backward pass: what a custom layer registers to join it.
export { layerBackpropSupported, recomputeGradient, registerLayerGradient, unsupportedLayers } from './backprop/index.js';
export type { LayerClass, LayerGradient, LayerGradients, LayerStep, RunningUpdate, WantedGradients } from './backprop/index.js';

// Backends.
export {
  BACKEND_NAMES, BACKEND_PACKAGES, BROWSER_BACKEND_ORDER, DEFAULT_BACKEND_ORDER, NODE_BACKEND_ORDER,
  NoUsableBackendError, diagnoseBackends, formatBackendSkip, formatDiagnosis, listWebGpuAdapters, selectBackend,
} from './backends/index.js';
export type {
  BackendDiagnosis, BackendDiagnosisReport, BackendPackage, BackendSelection, BackendSkip, BackendSkipReason,
  GpuAdapterInfoLike, PackagePin, SegBackendName, SelectBackendOptions, WebGpuAdapter,
} from './backends/index.js';

// Weight files (safetensors, PyTorch .pth) and model folders.
export { encodeSafetensors, parseSafetensors, safetensorsToFloat32 } from './io/safetensors.js';
export type { SafetensorsDtype, SafetensorsFile, SafetensorsInput, SafetensorsTensor } from './io/safetensors.js';
export { parseTorchCheckpoint, readTorchCheckpoint, type TorchCheckpoint } from './io/torch-checkpoint.js';
export { parseWeightFile, readWeightFile } from './io/tensor-files.js';
export { fileIO, loadModel, saveModel } from './io/model-files.js';
export type { FileIOOptions } from './io/model-files.js';
export { writeDirectoryAtomic, writeFileAtomic } from './io/atomic-files.js';
