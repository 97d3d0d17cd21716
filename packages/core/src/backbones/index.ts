// Public exports of src/backbones; each module adds its own line.
export {
  RESNET_BLOCKS,
  RESNET_DEPTHS,
  type ResNetOptions,
  type ResNetConfig,
  type ResNetDepth,
  resnet,
  resnetOutChannels,
  resnetStageSchedule,
  type StageSchedule,
} from './resnet.js';
export {
  applyTorchvisionWeights,
  loadTorchvisionWeights,
  type TorchvisionWeightsOptions,
  torchvisionWeightSpecs,
} from './torchvision-weights.js';
export {
  assignTorchWeights,
  findKeyPrefix,
  type LayerContainer,
  leafLayers,
  nestedModules,
  NUM_BATCHES_TRACKED,
  type TorchModule,
  type TorchvisionWeightSpec,
  type TorchvisionWeightsReport,
  type TorchWeightAssignOptions,
  torchWeightSpecs,
} from './torch-state-dict.js';
export {
  makeDivisible,
  MOBILENET_V3_LARGE,
  type MobileNetV3Options,
  type MobileNetV3Config,
  type MobileNetV3Row,
  mobileNetV3Blocks,
  mobileNetV3Channels,
  mobileNetV3Large,
} from './mobilenet-v3.js';
export {
  type InvertedResidualSpec,
  invertedResidual,
  MOBILENET_V3_BN_EPSILON,
  MOBILENET_V3_BN_MOMENTUM,
  type MobileNetActivation,
} from './mobilenet-v3-blocks.js';
export {
  BACKBONE_NAMES,
  BACKBONES,
  type Backbone,
  type BackboneName,
  type BackboneOptions,
  type BackboneOptionsByName,
  type CommonBackboneOptions,
  type BackboneSpec,
  checkBackboneOptions,
  getBackbone,
  type MobileNetV3BackboneOptions,
  type ResNetBackboneOptions,
} from './get-backbone.js';
