import { basename } from 'node:path';
import type { SegmentationDataset, SegmentationSample } from '@seg/core';
import { readImageFile } from '../../image/decode.js';
import { labelsFromGroundTruth } from '../../classes/msrc-ground-truth.js';
import {
  findMsrcLayout,
  listFiles,
  MSRC_SPLIT_FILES,
  MSRC_SPLITS,
  type MsrcLayout,
  type MsrcSplitName,
  msrcSampleFiles,
  readSplitFile,
} from './layout.js';

/** Options of {@link openMsrc}. */
export interface OpenMsrcOptions {
  /** Folder holding the split files. Default: `root`, then the folder holding `Images/`. */
  splitDir?: string;
  /** Use `SegmentationsGTHighQuality/<id>_HQGT.bmp` instead of `GroundTruth/<id>_GT.bmp` where it exists. Default true. */
  highQuality?: boolean;
  /** Keep decoded samples in memory after the first `get` (about 270 kB per image). Default false. */
  cache?: boolean;
  /** Passed to {@link labelsFromGroundTruth}: what an unknown ground-truth colour becomes. Default `'error'`. */
  unknownColor?: 'error' | 'void';
}

/** One split of an opened MSRC-v2 copy; a `SegmentationDataset` whose samples stream from disk. */
export interface MsrcSplit extends SegmentationDataset {
  readonly name: MsrcSplitName;
  /** Image ids (file stems such as `1_1_s`) in split-file order; `get(i)` loads `ids[i]`. */
  readonly ids: readonly string[];
  /** The files sample `index` is read from (ground truth is the high-quality one when used). */
  files(index: number): { image: string; groundTruth: string };
  /**
   * Loads sample `index`: RGB image and class ids. Returned buffers may be
   * shared with the cache, so treat them as read-only (augmentations do).
   */
  get(index: number): Promise<SegmentationSample>;
}

/** An opened MSRC-v2 copy. */
export interface MsrcDataset {
  readonly root: string;
  readonly layout: MsrcLayout;
  /** Splits whose file was found. */
  readonly splitNames: readonly MsrcSplitName[];
  /** The named split; throws if its split file was not found. */
  split(name: MsrcSplitName): MsrcSplit;
}

/**
 * Opens an MSRC-v2 copy (or a synthetic one from `generateSyntheticMsrc`).
 * Split files are read and every listed image and ground truth is checked to
 * exist now, so a broken copy fails here, not hours into training; pixels are
 * only decoded by `get`.
 *
 * @param root The unpacked dataset folder, or its parent.
 * @throws If the layout is not found, no split file is found, or split
 *   entries have no image or ground truth (the message lists them; run
 *   `seg-msrc check` for a full report).
 *
 * @example
 * ```ts
 * const msrc = await openMsrc('/data/MSRC_ObjCategImageDatabase_v2');
 * const train = msrc.split('train'); // a SegmentationDataset
 * const { id, image, labels } = await train.get(0);
 * ```
 */
export async function openMsrc(root: string, options: OpenMsrcOptions = {}): Promise<MsrcDataset> {
  const layout = await findMsrcLayout(root, options);
  const highQuality = options.highQuality ?? true;
  const [images, groundTruth, hq] = await Promise.all([
    listFiles(layout.imagesDir),
    listFiles(layout.groundTruthDir),
    listFiles(highQuality ? layout.highQualityDir : null),
  ]);
  const splitNames = MSRC_SPLITS.filter((s) => layout.splitFiles[s]);
  if (splitNames.length === 0) {
    const where = options.splitDir ?? (layout.dataDir === root ? root : `${root} or ${layout.dataDir}`);
    throw new Error(
      `MSRC root ${root}: no split file (${Object.values(MSRC_SPLIT_FILES).join(', ')}) in ${where}; ` +
        'the split lists are distributed separately from the images — pass { splitDir } if they live elsewhere',
    );
  }
  const splits = new Map<MsrcSplitName, MsrcSplit>();
  const missing: string[] = [];
  for (const name of splitNames) {
    const file = layout.splitFiles[name]!;
    const entries = await readSplitFile(file);
    const chosen: { image: string; groundTruth: string }[] = [];
    for (const { id, line } of entries) {
      const f = msrcSampleFiles(layout, id);
      if (!images.has(basename(f.image))) missing.push(`${f.image} (listed at ${file}:${line})`);
      if (!groundTruth.has(basename(f.groundTruth))) missing.push(`${f.groundTruth} (listed at ${file}:${line})`);
      const useHq = f.highQuality !== null && hq.has(basename(f.highQuality));
      chosen.push({ image: f.image, groundTruth: useHq ? f.highQuality! : f.groundTruth });
    }
    splits.set(name, makeSplit(name, entries.map((e) => e.id), chosen, options));
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join('\n  ');
    const more = missing.length > 10 ? `\n  ... and ${missing.length - 10} more` : '';
    throw new Error(`MSRC root ${root}: ${missing.length} file(s) listed in the splits are missing:\n  ${shown}${more}`);
  }
  return {
    root,
    layout,
    splitNames,
    split(name) {
      const s = splits.get(name);
      if (!s) {
        const valid = MSRC_SPLITS.includes(name) ? `its split file ${MSRC_SPLIT_FILES[name]} was not found` : 'unknown split';
        throw new Error(`MSRC split '${name}': ${valid}; available: ${splitNames.join(', ')}`);
      }
      return s;
    },
  };
}

function makeSplit(
  name: MsrcSplitName,
  ids: string[],
  files: { image: string; groundTruth: string }[],
  options: OpenMsrcOptions,
): MsrcSplit {
  const cache = options.cache ? new Map<number, Promise<SegmentationSample>>() : null;
  const check = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= ids.length) {
      throw new RangeError(`MSRC split '${name}': index ${index} is outside 0..${ids.length - 1}`);
    }
  };
  const load = async (index: number): Promise<SegmentationSample> => {
    const { image: imagePath, groundTruth: gtPath } = files[index];
    const [image, gt] = await Promise.all([readImageFile(imagePath), readImageFile(gtPath)]);
    if (image.width !== gt.width || image.height !== gt.height) {
      throw new Error(
        `${gtPath}: ground truth is ${gt.width}×${gt.height} but its image ${imagePath} is ${image.width}×${image.height}`,
      );
    }
    const labels = labelsFromGroundTruth(gt.data, gt.width, gt.height, { source: gtPath, unknownColor: options.unknownColor });
    return { id: ids[index], image, labels };
  };
  return {
    name,
    ids: Object.freeze([...ids]),
    size: ids.length,
    files(index) {
      check(index);
      return { ...files[index] };
    },
    async get(index) {
      check(index);
      if (!cache) return load(index);
      let hit = cache.get(index);
      if (!hit) {
        hit = load(index);
        cache.set(index, hit);
        // A failed load must not stay cached: the file may be fixed and retried.
        hit.catch(() => cache.delete(index));
      }
      return hit;
    },
  };
}
