/**
 * MSRC through the common API of @seg/datasets gives what openMsrc gives:
 * the same splits, ids and samples, the 22 classes with void as ignore
 * index, and validateMsrc's problems in the common kinds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, validateDataset } from '@seg/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticMsrc, MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID, openMsrc } from './index.js';

describe("openDataset(root, { format: 'msrc' })", () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seg-msrc-dataset-'));
    ({ root } = await generateSyntheticMsrc(join(dir, 'msrc'), { count: 6, width: 24, height: 16 }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the splits, ids and samples openMsrc reads, with the MSRC classes', async () => {
    const data = await openDataset(dir, { format: 'msrc' });
    const msrc = await openMsrc(dir);
    expect(data.classes).toEqual(MSRC_CLASSES.map((c) => c.name));
    expect([data.palette, data.ignoreIndex]).toEqual([MSRC_PALETTE, MSRC_VOID]);
    expect(data.splitNames).toEqual(msrc.splitNames);
    for (const name of msrc.splitNames) {
      const [a, b] = [data.split(name), msrc.split(name)];
      expect([a.ids, a.size, a.source]).toEqual([b.ids, b.size, msrc.layout.splitFiles[name]]);
      for (let i = 0; i < a.size; i++) expect(await a.get(i)).toEqual(await b.get(i));
    }
    expect(() => data.split('val')).toThrow(/MSRC split 'val': unknown split; available: train, validation, test/);
  });

  it('validates clean, and reports problems in the common kinds', async () => {
    expect((await validateDataset(root, { format: 'msrc' })).ok).toBe(true);
    const report = await validateDataset(join(dir, 'none'), { format: 'msrc' });
    expect(report.problems.map((p) => p.kind)).toEqual(['layout']);
  });
});
