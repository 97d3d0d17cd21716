import { join } from 'node:path';
import { entries, type ListedId, readIdList } from '../files.js';

/** The three standard splits of MSRC-21 (Shotton et al.: 276 / 59 / 256 images). */
export type MsrcSplitName = 'train' | 'validation' | 'test';

/** Split names in file order. */
export const MSRC_SPLITS: readonly MsrcSplitName[] = Object.freeze(['train', 'validation', 'test']);

/** File name of each split's list. */
export const MSRC_SPLIT_FILES: Readonly<Record<MsrcSplitName, string>> = Object.freeze({
  train: 'Train.txt',
  validation: 'Validation.txt',
  test: 'Test.txt',
});

/** Where the parts of an MSRC-v2 copy were found. */
export interface MsrcLayout {
  /** The folder holding `Images/` and `GroundTruth/` (the root or one of its subfolders). */
  dataDir: string;
  imagesDir: string;
  groundTruthDir: string;
  /** `SegmentationsGTHighQuality/`, or `null` when this copy has none. */
  highQualityDir: string | null;
  /** Path of each split file found, `null` for a missing one. */
  splitFiles: Record<MsrcSplitName, string | null>;
}

/** Options for locating split files. */
export interface MsrcLayoutOptions {
  /** Folder holding `Train.txt`, `Validation.txt`, `Test.txt`. Default: the root, then the data folder. */
  splitDir?: string;
}

/** Finds `name` in `dir` ignoring case (archives unpacked on Windows differ in case). */
async function findChild(dir: string, name: string, wantDir: boolean): Promise<string | null> {
  const found = (await entries(dir)).find((e) => e.isDir === wantDir && e.name.toLowerCase() === name.toLowerCase());
  return found ? join(dir, found.name) : null;
}

/**
 * Locates an MSRC-v2 copy under `root`: either `root` itself holds `Images/`
 * and `GroundTruth/`, or one of its subfolders does (the user pointed at the
 * folder the archive was unpacked into, e.g. `root/MSRC_ObjCategImageDatabase_v2`).
 *
 * @throws If no such folder exists, saying what was looked for.
 */
export async function findMsrcLayout(root: string, options: MsrcLayoutOptions = {}): Promise<MsrcLayout> {
  const all = await entries(root);
  if (all.length === 0) throw new Error(`MSRC root ${root} does not exist or is empty`);
  const children = all.filter((e) => e.isDir).map((e) => join(root, e.name));
  for (const dataDir of [root, ...children.sort()]) {
    const imagesDir = await findChild(dataDir, 'Images', true);
    const groundTruthDir = await findChild(dataDir, 'GroundTruth', true);
    if (!imagesDir || !groundTruthDir) continue;
    const highQualityDir = await findChild(dataDir, 'SegmentationsGTHighQuality', true);
    const splitDirs = options.splitDir ? [options.splitDir] : [root, dataDir];
    const splitFiles = {} as Record<MsrcSplitName, string | null>;
    for (const split of MSRC_SPLITS) {
      splitFiles[split] = null;
      for (const dir of splitDirs) {
        splitFiles[split] = await findChild(dir, MSRC_SPLIT_FILES[split], false);
        if (splitFiles[split]) break;
      }
    }
    return { dataDir, imagesDir, groundTruthDir, highQualityDir, splitFiles };
  }
  throw new Error(
    `MSRC root ${root}: found no folder with both Images/ and GroundTruth/ in it or in its subfolders; ` +
      'point at the unpacked MSRC_ObjCategImageDatabase_v2 folder (or its parent)',
  );
}

/** One entry of a split file: the image file stem (e.g. `1_1_s`) and its 1-based line. */
export type MsrcSplitEntry = ListedId;

/**
 * Parses a split file: one image file name per line (`1_1_s.bmp`; the
 * extension is optional), blank lines and `#` comments ignored, Windows line
 * endings accepted.
 *
 * @throws If the file cannot be read, or a line is not a plain file name.
 */
export function readSplitFile(path: string): Promise<MsrcSplitEntry[]> {
  return readIdList(path, { extension: /\.bmp$/i, expected: 'an image file name (expected e.g. 1_1_s.bmp, one per line)' });
}

/** Paths of one sample's files. */
export interface MsrcSampleFiles {
  image: string;
  groundTruth: string;
  /** The high-quality ground truth path (it may not exist), or `null` without a `SegmentationsGTHighQuality/` folder. */
  highQuality: string | null;
}

/** The files MSRC-v2 names for image `id`. */
export function msrcSampleFiles(layout: MsrcLayout, id: string): MsrcSampleFiles {
  return {
    image: join(layout.imagesDir, `${id}.bmp`),
    groundTruth: join(layout.groundTruthDir, `${id}_GT.bmp`),
    highQuality: layout.highQualityDir ? join(layout.highQualityDir, `${id}_HQGT.bmp`) : null,
  };
}

/** Names of the files in a folder (empty if it does not exist), for cheap existence checks. */
export async function listFiles(dir: string | null): Promise<Set<string>> {
  if (!dir) return new Set();
  return new Set((await entries(dir)).filter((e) => !e.isDir).map((e) => e.name));
}
