/**
 * Every format reads its fixture exactly: the ids and split order, the image
 * pixels and every class id, compared with what scripts/fixtures/datasets.py
 * wrote (class ids computed there from the published tables, independently
 * of these readers). JPEG pixels are compared with Pillow's decoding within a
 * few levels, since JPEG decoders differ in rounding.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADE20K_CLASS_NAMES } from '../classes/ade20k.js';
import { CITYSCAPES_CLASS_NAMES } from '../classes/cityscapes.js';
import { COCO_STUFF_CLASS_NAMES } from '../classes/coco-stuff.js';
import { VOC_CLASS_NAMES } from '../classes/voc.js';
import { type Dataset, DatasetFileError, type DatasetFormat } from '../dataset.js';
import { encodeRgbPng } from '../image/png-encode.js';
import { openDataset } from '../open-dataset.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

interface ExpectedSample {
  id: string;
  width: number;
  height: number;
  lossy: boolean;
  image: string;
  labels: string;
}

const expected: Record<string, { format: DatasetFormat; splits?: Record<string, ExpectedSample[]>; samples?: ExpectedSample[] }> = JSON.parse(
  readFileSync(join(FIXTURES, 'expected.json'), 'utf8'),
);

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** Largest per-channel difference between two images. */
function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function expectSplit(data: Dataset, name: string, samples: ExpectedSample[]) {
  const split = data.split(name);
  expect(split.ids).toEqual(samples.map((s) => s.id));
  expect(split.size).toBe(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const want = samples[i];
    const got = await split.get(i);
    expect(got.id).toBe(want.id);
    expect([got.image.width, got.image.height]).toEqual([want.width, want.height]);
    expect(got.labels).toEqual(bytes(want.labels));
    const pixels = bytes(want.image);
    if (want.lossy) expect(maxDifference(got.image.data, pixels), `${want.id} pixels`).toBeLessThanOrEqual(3);
    else expect(got.image.data).toEqual(pixels);
  }
}

describe.each([
  ['voc', 'voc', ['', 'VOCdevkit', 'VOCdevkit/VOC2012'], VOC_CLASS_NAMES, 255],
  ['cityscapes', 'cityscapes', [''], CITYSCAPES_CLASS_NAMES, 255],
  ['ade20k', 'ade20k', ['', 'ADEChallengeData2016'], ADE20K_CLASS_NAMES, 255],
  ['coco-stuff', 'coco-stuff', [''], COCO_STUFF_CLASS_NAMES, 255],
  ['folder-index', 'folder', [''], ['background', 'road', 'tree', 'sky'], 255],
] as const)('%s fixture', (copy, format, roots, classes, ignoreIndex) => {
  const want = expected[copy];
  it.each(roots.flatMap((sub) => [[sub, 2], [sub, 0]] as const))('reads every split, pixel and class id from root "%s" with %i decode workers', async (sub, workers) => {
    const data = await openDataset(join(FIXTURES, copy, sub), { format, workers });
    expect(data.format).toBe(format);
    expect(data.classes).toEqual(classes);
    expect(data.palette).toHaveLength(classes.length);
    expect(data.ignoreIndex).toBe(ignoreIndex);
    expect([...data.splitNames].sort()).toEqual(Object.keys(want.splits!).sort());
    for (const [name, samples] of Object.entries(want.splits!)) await expectSplit(data, name, samples);
  });
});

describe('dataset specifics', () => {
  it('has the published class counts: VOC 21, Cityscapes 19, ADE20K 150, COCO-Stuff 171', () => {
    expect([VOC_CLASS_NAMES.length, CITYSCAPES_CLASS_NAMES.length, ADE20K_CLASS_NAMES.length, COCO_STUFF_CLASS_NAMES.length]).toEqual([21, 19, 150, 171]);
  });

  it("answers to ADE20K's train and val as well as training and validation", async () => {
    const data = await openDataset(join(FIXTURES, 'ade20k'), { format: 'ade20k' });
    expect(data.split('train')).toBe(data.split('training'));
    expect(data.split('val').ids).toEqual(['ADE_val_00000001']);
    expect(() => data.split('test')).toThrow(/no split 'test'; available: training, validation/);
  });

  it('splits a folder without splits/ by a seeded ratio, every image once, and reads colour masks through classes.json', async () => {
    const root = join(FIXTURES, 'folder-color');
    const want = expected['folder-color'].samples!;
    const data = await openDataset(root, { format: 'folder', valFraction: 0.4, seed: 3 });
    expect(data.splitNames).toEqual(['train', 'val']);
    const [train, val] = [data.split('train'), data.split('val')];
    expect(val.size).toBe(2);
    expect([...train.ids, ...val.ids].sort()).toEqual(want.map((s) => s.id));
    const again = await openDataset(root, { format: 'folder', valFraction: 0.4, seed: 3 });
    expect(again.split('val').ids).toEqual(val.ids);
    expect(data.palette).toEqual([[0, 0, 0], [128, 64, 128], [0, 128, 0], [70, 130, 180]]);
    for (const split of [train, val]) {
      for (let i = 0; i < split.size; i++) {
        const got = await split.get(i);
        const s = want.find((w) => w.id === got.id)!;
        expect(got.labels).toEqual(bytes(s.labels));
        expect(got.image.data).toEqual(bytes(s.image));
      }
    }
  });

  it('fails fast naming every missing file, as openMsrc does', async () => {
    await expect(openDataset(join(FIXTURES, 'voc-broken'), { format: 'voc' })).rejects.toThrow(
      /4 listed file\(s\) are missing:\n {2}.*SegmentationClass\/2007_000039\.png \(listed at .*train\.txt:2\)\n {2}.*JPEGImages\/2008_000015\.jpg/,
    );
  });

  it('names the layout it looked for when the root holds none', async () => {
    await expect(openDataset(join(FIXTURES, 'ade20k'), { format: 'cityscapes' })).rejects.toThrow(/Cityscapes root .*ade20k: found no folder holding both leftImg8bit\/ and gtFine\//);
    await expect(openDataset(FIXTURES, { format: 'nope' as DatasetFormat })).rejects.toThrow(/unknown dataset format "nope"; expected one of voc, cityscapes/);
  });

  it('rejects a bad sample with the same error class, kind and message from a worker as on the calling thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seg-datasets-'));
    try {
      cpSync(join(FIXTURES, 'folder-color'), dir, { recursive: true });
      writeFileSync(join(dir, 'masks', 'img_001.png'), await encodeRgbPng(new Uint8Array(7 * 8 * 4).fill(9), 8, 7));
      const errors = [];
      for (const workers of [0, 2]) {
        const data = await openDataset(dir, { format: 'folder', valFraction: 0, workers });
        errors.push(await data.split('train').get(0).catch((e: Error) => e));
      }
      for (const e of errors) {
        expect(e).toBeInstanceOf(DatasetFileError);
        expect([(e as DatasetFileError).kind, (e as DatasetFileError).file]).toEqual(['unknown-color', join(dir, 'masks', 'img_001.png')]);
      }
      expect((errors[1] as Error).message).toBe((errors[0] as Error).message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
