// Public exports of src/backbones; each module adds its own line.
export {
  RESNET_BLOCKS,
  RESNET_DEPTHS,
  type ResNetConfig,
  type ResNetDepth,
  resnet,
  resnetOutChannels,
  resnetStageSchedule,
  type StageSchedule,
} from './resnet.js';
export {
  applyTorchvisionWeights,
  type LayerContainer,
  loadTorchvisionWeights,
  type TorchvisionWeightSpec,
  type TorchvisionWeightsOptions,
  type TorchvisionWeightsReport,
  torchvisionWeightSpecs,
} from './torchvision-weights.js';
export {
  BACKBONE_NAMES,
  BACKBONES,
  type Backbone,
  type BackboneName,
  type BackboneOptions,
  type BackboneSpec,
  getBackbone,
} from './get-backbone.js';
