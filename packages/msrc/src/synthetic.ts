import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type RgbImage, type SegmentationSample, SeededRng, writeFileAtomic } from '@seg/core';
import { encodeBmp } from '@seg/datasets';
import { MSRC_SPLIT_FILES, MSRC_SPLITS, type MsrcSplitName } from '@seg/datasets/msrc';
import { renderScene, sceneGroundTruth } from './synthetic-scene.js';

export { SYNTHETIC_MSRC_CLASS_IDS } from './synthetic-scene.js';

/** Options of {@link generateSyntheticMsrc}. */
export interface SyntheticMsrcOptions {
  /** Number of images. Default 60. */
  count?: number;
  /** Seed: the same seed and options give byte-identical files. Default 0. */
  seed?: number;
  /** Width of landscape images (portrait ones swap width and height). Default 320, like MSRC. */
  width?: number;
  /** Height of landscape images. Default 213, like MSRC. */
  height?: number;
  /** Share of portrait (height × width) images. Default 0.25. */
  portraitFraction?: number;
  /** Half-width in pixels of the void band along class boundaries in `_GT.bmp`. Default 2. */
  voidBorder?: number;
  /** Share of images that also get a `_HQGT.bmp` (void band of half-width 1). Default 0.25. */
  highQualityFraction?: number;
  /** Shares of the train and validation splits; test gets the rest. Default MSRC's 276/591 and 59/591. */
  splitFractions?: { train: number; validation: number };
}

/** One synthetic sample with the ground truth the generator writes for it. */
export interface SyntheticMsrcSample extends SegmentationSample {
  /** Labels as `_GT.bmp` encodes them (also in `labels`). */
  groundTruth: RgbImage;
  /** The `_HQGT.bmp` version, or `null` when this image has none. */
  highQuality: { groundTruth: RgbImage; labels: Uint8Array } | null;
}

/** What {@link generateSyntheticMsrc} wrote. */
export interface SyntheticMsrcResult {
  /** The dataset folder (holds `Images/`, `GroundTruth/`, `SegmentationsGTHighQuality/` and the split files). */
  root: string;
  /** Ids per split, in split-file order. */
  splits: Record<MsrcSplitName, string[]>;
  /** Ids of all images, by sample index. */
  ids: string[];
}

interface ResolvedOptions {
  count: number;
  seed: number;
  width: number;
  height: number;
  portraitFraction: number;
  voidBorder: number;
  highQualityFraction: number;
  train: number;
  validation: number;
}

function resolve(options: SyntheticMsrcOptions): ResolvedOptions {
  const o = {
    count: options.count ?? 60,
    seed: options.seed ?? 0,
    width: options.width ?? 320,
    height: options.height ?? 213,
    portraitFraction: options.portraitFraction ?? 0.25,
    voidBorder: options.voidBorder ?? 2,
    highQualityFraction: options.highQualityFraction ?? 0.25,
    train: options.splitFractions?.train ?? 276 / 591,
    validation: options.splitFractions?.validation ?? 59 / 591,
  };
  const int = (name: string, v: number, lo: number) => {
    if (!Number.isInteger(v) || v < lo) throw new RangeError(`synthetic MSRC: ${name} must be an integer >= ${lo}, got ${v}`);
  };
  const share = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`synthetic MSRC: ${name} must be in [0, 1], got ${v}`);
  };
  int('count', o.count, 1);
  int('seed', o.seed, -(2 ** 31));
  int('width', o.width, 8);
  int('height', o.height, 8);
  int('voidBorder', o.voidBorder, 0);
  share('portraitFraction', o.portraitFraction);
  share('highQualityFraction', o.highQualityFraction);
  share('splitFractions.train', o.train);
  share('splitFractions.validation', o.validation);
  if (o.train + o.validation > 1) {
    throw new RangeError(`synthetic MSRC: splitFractions train + validation must be <= 1, got ${o.train + o.validation}`);
  }
  return o;
}

/** The id of synthetic image `index`, in MSRC's `<group>_<n>_s` style (`1_1_s`, `2_1_s`, ...). */
export function syntheticMsrcId(index: number): string {
  return `${1 + (index % 20)}_${1 + Math.floor(index / 20)}_s`;
}

/**
 * Renders synthetic sample `index` in memory, exactly as
 * {@link generateSyntheticMsrc} writes it: same pixels, same labels.
 */
export function syntheticMsrcSample(index: number, options: SyntheticMsrcOptions = {}): SyntheticMsrcSample {
  const o = resolve(options);
  if (!Number.isInteger(index) || index < 0 || index >= o.count) {
    throw new RangeError(`synthetic MSRC: index ${index} is outside 0..${o.count - 1}`);
  }
  const rng = SeededRng.derive(o.seed, 9, index);
  const portrait = rng.bool(o.portraitFraction);
  const hasHq = rng.bool(o.highQualityFraction);
  const scene = renderScene(o.seed, index, portrait ? o.height : o.width, portrait ? o.width : o.height);
  const gt = sceneGroundTruth(scene, o.voidBorder);
  const hq = hasHq ? sceneGroundTruth(scene, Math.min(1, o.voidBorder)) : null;
  return { id: syntheticMsrcId(index), image: scene.image, labels: gt.labels, groundTruth: gt.groundTruth, highQuality: hq };
}

/** Sample indices of each split: a seeded shuffle cut by `splitFractions`, each split in index order. */
export function syntheticMsrcSplits(options: SyntheticMsrcOptions = {}): Record<MsrcSplitName, number[]> {
  const o = resolve(options);
  const order = SeededRng.derive(o.seed, 8).permutation(o.count);
  let nTrain = Math.round(o.count * o.train);
  let nVal = Math.round(o.count * o.validation);
  // Keep every split non-empty when there are enough images, so all three files are usable.
  if (o.count >= 3) {
    nTrain = Math.max(1, Math.min(nTrain, o.count - 2));
    nVal = Math.max(1, Math.min(nVal, o.count - nTrain - 1));
  }
  const byIndex = (a: number, b: number) => a - b;
  return {
    train: order.slice(0, nTrain).sort(byIndex),
    validation: order.slice(nTrain, nTrain + nVal).sort(byIndex),
    test: order.slice(nTrain + nVal).sort(byIndex),
  };
}

/**
 * Writes a deterministic synthetic dataset in MSRC-v2's layout under `dir`:
 * `Images/<id>.bmp` (24-bit BMP scenes: textured objects — cow, sheep, car,
 * sign, face, flower, boat, aeroplane, bird — on textured backgrounds — sky,
 * building, tree, mountain over grass, road, water), `GroundTruth/<id>_GT.bmp`
 * (palette colours, void bands along boundaries, mountain drawn and labelled
 * void like the real data), some `SegmentationsGTHighQuality/<id>_HQGT.bmp`,
 * and `Train.txt`, `Validation.txt`, `Test.txt`. Each class keeps one colour
 * and texture across images, so a small model can learn it. Every file is
 * written atomically, split files last, so an interrupted run never leaves a
 * listed image half-written. Existing files of the same names are replaced.
 * A split left empty (fewer than three images) gets no split file at all,
 * so `seg-msrc check` reports it missing rather than passing an empty one.
 *
 * @param dir The folder to write (created if missing).
 *
 * @example
 * ```ts
 * const { root, splits } = await generateSyntheticMsrc('/tmp/msrc-synthetic', { count: 60, seed: 0 });
 * const msrc = await openMsrc(root);
 * ```
 */
export async function generateSyntheticMsrc(dir: string, options: SyntheticMsrcOptions = {}): Promise<SyntheticMsrcResult> {
  const o = resolve(options);
  const imagesDir = join(dir, 'Images');
  const gtDir = join(dir, 'GroundTruth');
  const hqDir = join(dir, 'SegmentationsGTHighQuality');
  await Promise.all([imagesDir, gtDir, hqDir].map((d) => mkdir(d, { recursive: true })));
  const ids: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const s = syntheticMsrcSample(i, options);
    ids.push(s.id);
    const writes = [
      writeFileAtomic(join(imagesDir, `${s.id}.bmp`), encodeBmp(s.image)),
      writeFileAtomic(join(gtDir, `${s.id}_GT.bmp`), encodeBmp(s.groundTruth)),
    ];
    if (s.highQuality) writes.push(writeFileAtomic(join(hqDir, `${s.id}_HQGT.bmp`), encodeBmp(s.highQuality.groundTruth)));
    await Promise.all(writes);
  }
  const indices = syntheticMsrcSplits(options);
  const splits = {} as Record<MsrcSplitName, string[]>;
  for (const name of MSRC_SPLITS) {
    splits[name] = indices[name].map((i) => ids[i]);
    const file = join(dir, MSRC_SPLIT_FILES[name]);
    if (splits[name].length === 0) {
      // Fewer than three images leave a split empty; an empty split file would pass for a usable one.
      await rm(file, { force: true });
      continue;
    }
    await writeFileAtomic(file, splits[name].map((id) => `${id}.bmp\n`).join(''));
  }
  return { root: dir, splits, ids };
}
