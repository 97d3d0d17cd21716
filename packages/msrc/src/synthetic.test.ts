import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsFromGroundTruth, MSRC_SPLITS, MSRC_VOID, openMsrc, readImageFile, validateMsrc } from './index.js';
import {
  generateSyntheticMsrc,
  SYNTHETIC_MSRC_CLASS_IDS,
  type SyntheticMsrcOptions,
  syntheticMsrcSample,
  syntheticMsrcSplits,
} from './synthetic.js';

const OPTIONS: SyntheticMsrcOptions = { count: 12, seed: 4, highQualityFraction: 0.4 };
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('synthetic MSRC round trip', () => {
  let tmp: string;
  let root: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'seg-msrc-'));
    // Nested like the real archive, so openMsrc must discover the data folder under the given root.
    root = join(tmp, 'MSRC_ObjCategImageDatabase_v2');
    await generateSyntheticMsrc(root, OPTIONS);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('writes MSRC layout: BMP images, _GT.bmp, some _HQGT.bmp and three split files covering every image once', async () => {
    const images = (await readdir(join(root, 'Images'))).sort();
    const gts = await readdir(join(root, 'GroundTruth'));
    const hq = await readdir(join(root, 'SegmentationsGTHighQuality'));
    expect(images).toHaveLength(12);
    expect(gts.sort()).toEqual(images.map((f) => f.replace('.bmp', '_GT.bmp')).sort());
    expect(hq.length).toBeGreaterThan(0);
    expect(hq.length).toBeLessThan(12);
    expect((await readdir(root)).filter((f) => f.includes('.tmp'))).toEqual([]);
    const listed: string[] = [];
    for (const f of ['Train.txt', 'Validation.txt', 'Test.txt']) {
      const lines = (await readFile(join(root, f), 'utf8')).trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      listed.push(...lines);
    }
    expect(listed.sort()).toEqual(images);
  });

  it('validates clean, then opens from the parent folder with split sizes, ids and labels exactly as generated', async () => {
    const report = await validateMsrc(tmp);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checkedImages).toBe(12);

    const splits = syntheticMsrcSplits(OPTIONS);
    for (const highQuality of [true, false]) {
      const ds = await openMsrc(tmp, { highQuality });
      expect(ds.layout.dataDir).toBe(root);
      let hqUsed = 0;
      for (const name of MSRC_SPLITS) {
        const split = ds.split(name);
        const fileIds = (await readFile(join(root, `${name[0].toUpperCase()}${name.slice(1)}.txt`), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => l.replace('.bmp', ''));
        expect(split.size).toBe(splits[name].length);
        expect([...split.ids]).toEqual(fileIds);
        for (let i = 0; i < split.size; i++) {
          const got = await split.get(i);
          const want = syntheticMsrcSample(splits[name][i], OPTIONS);
          expect(got.id).toBe(want.id);
          expect([got.image.width, got.image.height]).toEqual([want.image.width, want.image.height]);
          expect(same(got.image.data, want.image.data)).toBe(true);
          const wantLabels = highQuality && want.highQuality ? want.highQuality.labels : want.labels;
          if (highQuality && want.highQuality) hqUsed++;
          expect(same(got.labels, wantLabels)).toBe(true);
        }
      }
      expect(hqUsed > 0).toBe(highQuality);
    }
  });

  it('is deterministic from the seed and differs across seeds', async () => {
    const again = join(tmp, 'again');
    await generateSyntheticMsrc(again, { ...OPTIONS, count: 3 });
    for (const f of await readdir(join(again, 'Images'))) {
      expect(same(await readFile(join(again, 'Images', f)), await readFile(join(root, 'Images', f)))).toBe(true);
    }
    const other = syntheticMsrcSample(0, { ...OPTIONS, seed: 5 });
    expect(same(other.image.data, syntheticMsrcSample(0, OPTIONS).image.data)).toBe(false);
  });

  it('has MSRC-like content: mostly 320×213 landscape, some 213×320, void bands along boundaries, several classes', () => {
    const opts = { ...OPTIONS, count: 24 };
    const classes = new Set<number>();
    let portrait = 0;
    for (let i = 0; i < 24; i++) {
      const s = syntheticMsrcSample(i, opts);
      const { width, height } = s.image;
      expect([`${width}×${height}`]).toContain(width === 320 ? '320×213' : '213×320');
      if (width === 213) portrait++;
      for (const l of s.labels) classes.add(l);
      // Unlabelled (black) ground truth covers a thin band, not most of the image; mountain is
      // also void in labels but drawn in its own colour, as in the real data.
      const voidShare = s.groundTruth.data.filter((v, i) => i % 3 === 0 && v + s.groundTruth.data[i + 1] + s.groundTruth.data[i + 2] === 0).length / s.labels.length;
      expect(voidShare).toBeGreaterThan(0.005);
      expect(voidShare).toBeLessThan(0.5);
    }
    expect(portrait).toBeGreaterThan(0);
    expect(portrait).toBeLessThan(12);
    expect(classes.size).toBeGreaterThanOrEqual(8);
    for (const c of classes) expect(c === MSRC_VOID || SYNTHETIC_MSRC_CLASS_IDS.includes(c)).toBe(true);
  });

  it('is learnable: a nearest-mean-colour classifier fitted on train pixels labels test pixels well above chance', () => {
    const opts = { ...OPTIONS, count: 40, width: 96, height: 64 };
    const splits = syntheticMsrcSplits(opts);
    const sums = new Map<number, number[]>();
    for (const i of splits.train) {
      const s = syntheticMsrcSample(i, opts);
      s.labels.forEach((l, p) => {
        if (l === MSRC_VOID) return;
        const acc = sums.get(l) ?? [0, 0, 0, 0];
        for (let c = 0; c < 3; c++) acc[c] += s.image.data[p * 3 + c];
        acc[3]++;
        sums.set(l, acc);
      });
    }
    const means = [...sums].map(([l, a]) => [l, a[0] / a[3], a[1] / a[3], a[2] / a[3]]);
    let right = 0;
    let total = 0;
    for (const i of splits.test) {
      const s = syntheticMsrcSample(i, opts);
      s.labels.forEach((l, p) => {
        if (l === MSRC_VOID) return;
        let best = -1;
        let bestD = Infinity;
        for (const [c, r, g, b] of means) {
          const d = (s.image.data[p * 3] - r) ** 2 + (s.image.data[p * 3 + 1] - g) ** 2 + (s.image.data[p * 3 + 2] - b) ** 2;
          if (d < bestD) {
            bestD = d;
            best = c;
          }
        }
        right += best === l ? 1 : 0;
        total++;
      });
    }
    // Chance over ~14 classes is < 0.1; colour alone, without texture, already separates most pixels.
    expect(right / total).toBeGreaterThan(0.6);
  });

  it('ground-truth files decode back to the label maps (HQ files included)', async () => {
    let hqChecked = 0;
    for (let i = 0; i < 12; i++) {
      const s = syntheticMsrcSample(i, OPTIONS);
      const gt = await readImageFile(join(root, 'GroundTruth', `${s.id}_GT.bmp`));
      expect(same(labelsFromGroundTruth(gt.data, gt.width, gt.height), s.labels)).toBe(true);
      if (!s.highQuality) continue;
      const hq = await readImageFile(join(root, 'SegmentationsGTHighQuality', `${s.id}_HQGT.bmp`));
      const hqLabels = labelsFromGroundTruth(hq.data, hq.width, hq.height);
      expect(same(hqLabels, s.highQuality.labels)).toBe(true);
      // The HQ version has a thinner void band than the regular one.
      const voids = (l: Uint8Array) => l.filter((v) => v === MSRC_VOID).length;
      expect(voids(hqLabels)).toBeLessThan(voids(s.labels));
      hqChecked++;
    }
    expect(hqChecked).toBeGreaterThan(0);
  });

  it('rejects bad options by name', () => {
    expect(() => syntheticMsrcSample(0, { count: 0 })).toThrow(/count must be an integer >= 1/);
    expect(() => syntheticMsrcSample(5, { count: 3 })).toThrow(/index 5 is outside 0..2/);
    expect(() => syntheticMsrcSplits({ splitFractions: { train: 0.8, validation: 0.5 } })).toThrow(/train \+ validation must be <= 1/);
  });
});
