import type { SegmentationDataset, SegmentationSample } from '@seg/core';
import type { Palette } from './classes/palette.js';

/** The dataset layouts {@link openDataset} reads. */
export type DatasetFormat = 'voc' | 'cityscapes' | 'ade20k' | 'coco-stuff' | 'folder' | 'msrc';

/** Options of {@link openDataset} and {@link validateDataset}. */
export interface DatasetOptions {
  /** The layout of the folder. */
  format: DatasetFormat;
  /**
   * Worker threads that read samples for `get`, so that reading moves on
   * while the main thread runs a training step; 0 reads on the calling
   * thread (still off it for the decoding itself). Default: one per core, at
   * most 4. Not used by `validateDataset` nor for `msrc`.
   */
  workers?: number;
  /** `folder` without `splits/`: the share of images put in the `val` split. Default 0.2. */
  valFraction?: number;
  /** `folder` without `splits/`: the seed of the split. Default 0. */
  seed?: number;
  /** `msrc`: the folder holding `Train.txt`, `Validation.txt`, `Test.txt`. Default: the root, then the data folder. */
  splitDir?: string;
}

/** One split of an opened dataset: samples stream from disk, decoded by `get`. */
export interface DatasetSplit extends SegmentationDataset {
  readonly name: string;
  /** Where the split is listed: its split file, or the folder of its images. */
  readonly source: string;
  /** Sample ids (file stems) in listing order; `get(i)` loads `ids[i]`. */
  readonly ids: readonly string[];
  /** Loads sample `index`: its RGB image and class ids (`ignoreIndex` where unlabelled). */
  get(index: number): Promise<SegmentationSample>;
}

/** An opened dataset. */
export interface Dataset {
  /** The folder given to {@link openDataset}. */
  readonly root: string;
  readonly format: DatasetFormat;
  /** Class names in id order. */
  readonly classes: readonly string[];
  /** Colours of {@link classes}, in id order. */
  readonly palette: Palette;
  /** The label value of pixels that count for no class. */
  readonly ignoreIndex: number;
  /** The splits this copy has, in the format's order. */
  readonly splitNames: readonly string[];
  /** The named split (ADE20K's `training` and `validation` also answer to `train` and `val`); throws naming the ones that exist. */
  split(name: string): DatasetSplit;
}

/** Kinds of problem {@link validateDataset} reports. */
export type DatasetProblemKind =
  | 'layout'
  | 'missing-split-file'
  | 'bad-split-file'
  | 'empty-split'
  | 'duplicate-id'
  | 'missing-image'
  | 'missing-mask'
  | 'corrupt-file'
  | 'size-mismatch'
  | 'unknown-index'
  | 'unknown-color';

/** One problem found by {@link validateDataset}. */
export interface DatasetProblem {
  kind: DatasetProblemKind;
  /** The file at fault. */
  file: string;
  /** A sentence naming the file and what is wrong. */
  message: string;
}

/** What {@link validateDataset} found. */
export interface DatasetValidationReport {
  root: string;
  format: DatasetFormat;
  /** Samples listed per split. */
  splitSizes: Record<string, number>;
  /** Distinct samples whose files were decoded and checked. */
  checkedSamples: number;
  /** Every problem, in a stable order; empty when the copy is usable. */
  problems: DatasetProblem[];
  /** `problems.length === 0`. */
  ok: boolean;
}

/** A problem with one file, found while reading it; `kind` says which. */
export class DatasetFileError extends Error {
  override name = 'DatasetFileError';
  constructor(
    readonly kind: DatasetProblemKind,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
