/**
 * @seg/datasets: segmentation datasets as their downloads lay them out, read
 * exactly and validated before training, and the Node image I/O the other
 * `@seg` packages share. Node only; the class data alone is in
 * `@seg/datasets/classes`.
 *
 * @packageDocumentation
 */
export { decodeImage, readImageFile, readPixels } from './image/decode.js';
export type { DecodedPixels, DecodeImageOptions, ReadPixelsOptions } from './image/decode.js';
export { decodeIndexPng } from './image/png-indices.js';
export type { IndexImage } from './image/png-indices.js';
export { encodeIndexPng, encodeRgbPng, encodeScoresPng } from './image/png-encode.js';
export { encodeBmp } from './image/bmp.js';
export type { EncodeBmpOptions } from './image/bmp.js';
export { ImageFileError } from './image/image-file-error.js';
export { openDataset } from './open-dataset.js';
export { formatDatasetReport, validateDataset } from './validate-dataset.js';
export type { ValidateDatasetOptions } from './validate-dataset.js';
export { DATASET_FORMATS } from './formats/registry.js';
export { DatasetFileError } from './dataset.js';
export type {
  Dataset,
  DatasetFormat,
  DatasetOptions,
  DatasetProblem,
  DatasetProblemKind,
  DatasetSplit,
  DatasetValidationReport,
} from './dataset.js';
export type { Palette, Rgb } from './classes/palette.js';
