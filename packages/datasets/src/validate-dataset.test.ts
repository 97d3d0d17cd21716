/**
 * validateDataset names every problem of the broken fixture copies at once,
 * each with its file, exactly the set scripts/fixtures/datasets.py planted;
 * the good copies have none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetFormat } from './dataset.js';
import { formatDatasetReport, validateDataset } from './validate-dataset.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const expected: Record<string, { format: DatasetFormat; problems?: { kind: string; file: string }[] }> = JSON.parse(
  readFileSync(join(FIXTURES, 'expected.json'), 'utf8'),
);

const key = (p: { kind: string; file: string }) => `${p.kind} ${p.file}`;

describe('validateDataset', () => {
  it.each(['voc-broken', 'folder-broken'])('reports every planted problem of %s, and nothing else', async (copy) => {
    const root = join(FIXTURES, copy);
    const { format, problems } = expected[copy];
    const report = await validateDataset(root, { format });
    expect(report.ok).toBe(false);
    const got = report.problems.map((p) => ({ kind: p.kind, file: p.file.slice(root.length + 1) }));
    expect(new Set(got.map(key))).toEqual(new Set(problems!.map(key)));
    for (const p of report.problems) expect(p.message).toContain(p.file);
    const text = formatDatasetReport(report);
    for (const p of report.problems) expect(text).toContain(`[${p.kind}] ${p.message}`);
  });

  it('names the value, the pixel and the valid values of an unknown index, and the 16-bit mask', async () => {
    const report = await validateDataset(join(FIXTURES, 'voc-broken'), { format: 'voc' });
    expect(report.problems.find((p) => p.kind === 'unknown-index')!.message).toMatch(
      /2007_000032\.png: value 30 first at pixel \(0, 0\) \(x, y\) is no class and not ignored; valid values: 0\.\.20 and 255 \(border\)$/,
    );
    const folder = await validateDataset(join(FIXTURES, 'folder-broken'), { format: 'folder' });
    expect(folder.problems.find((p) => p.file.endsWith('img_002.png'))!.message).toMatch(/is a 16-bit PNG where 8-bit class ids are expected/);
    expect(folder.problems.find((p) => p.kind === 'unknown-color')!.message).toMatch(/colour \[1, 2, 3\] first at pixel \(4, 3\)/);
  });

  it.each([
    ['voc', 'voc'],
    ['cityscapes', 'cityscapes'],
    ['ade20k', 'ade20k'],
    ['coco-stuff', 'coco-stuff'],
    ['folder-index', 'folder'],
    ['folder-color', 'folder'],
  ] as const)('finds no problem in the %s fixture', async (copy, format) => {
    const report = await validateDataset(join(FIXTURES, copy), { format });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checkedSamples).toBeGreaterThan(0);
  });

  it('reports a root without the layout as one layout problem', async () => {
    const report = await validateDataset(join(FIXTURES, 'voc'), { format: 'ade20k' });
    expect(report.problems.map((p) => p.kind)).toEqual(['layout']);
  });
});
