import type { Palette } from '../classes/palette.js';
import type { DatasetOptions, DatasetProblem } from '../dataset.js';

/** Class ids of one mask, row-major, one byte per pixel. */
export interface LabelMap {
  labels: Uint8Array;
  width: number;
  height: number;
}

/** One sample as a format lists it: its files, and where it was listed (for messages). */
export interface ListedSample {
  id: string;
  image: string;
  mask: string;
  /** A split file and line (`train.txt:3`) or the folder the image was found in. */
  listedAt: string;
}

/** One split as listed: a split file, or a folder of images. */
export interface ListedSplit {
  name: string;
  /** The split file or folder, named by problems about the split as a whole. */
  source: string;
  samples: ListedSample[];
}

/**
 * What a format module finds under a root: the class data, the listed
 * splits and how to read a mask. Everything else (missing files, duplicate
 * ids, decoding, sizes, validation) is the same for every format.
 */
export interface FormatLayout {
  classes: readonly string[];
  palette: Palette;
  ignoreIndex: number;
  splits: ListedSplit[];
  /** Other names a split answers to (ADE20K: `train` → `training`). */
  aliases?: Readonly<Record<string, string>>;
  /** Problems found while listing (a split file that cannot be read, say). */
  problems: DatasetProblem[];
  /**
   * Reads a mask file's class ids.
   *
   * @throws {DatasetFileError} `unknown-index` or `unknown-color`, naming the file and value.
   * @throws {ImageFileError} If the file cannot be read or decoded.
   */
  readLabels(mask: string): Promise<LabelMap>;
}

/** A dataset layout: finds itself under a root. */
export interface DatasetFormatModule {
  /**
   * @throws If the layout is not found under `root` (nor one folder down), saying what was looked for.
   */
  locate(root: string, options: DatasetOptions): Promise<FormatLayout>;
}
