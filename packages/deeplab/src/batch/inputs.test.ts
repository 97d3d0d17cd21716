import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from './inputs.js';
import { planBatch } from './plan.js';

describe('expandInputs', () => {
  let dir: string;
  const touch = (rel: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), 'x');
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seg-inputs-'));
    for (const f of ['photos/b.jpg', 'photos/a.PNG', 'photos/2024/c.tiff', 'photos/2024/notes.txt', 'photos/.cache/d.png', 'photos/out/old.png', 'other/a.png', 'other/b.jpg', 'loose.bmp']) touch(f);
    writeFileSync(join(dir, 'list.txt'), '# chosen\nphotos/b.jpg\n\n  other  \nmissing.jpg\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('searches folders recursively for image extensions in name order, skipping hidden entries and the excluded folder', async () => {
    const found = await expandInputs(['photos'], { cwd: dir, exclude: 'photos/out' });
    expect(found.map((f) => f.rel)).toEqual(['2024/c.tiff', 'a.PNG', 'b.jpg']);
    expect(found[0].path).toBe(join(dir, 'photos/2024/c.tiff'));
  });

  it('takes named files by their name, list entries relative to the list, each image once', async () => {
    const found = await expandInputs(['loose.bmp', '@list.txt', 'photos/b.jpg'], { cwd: dir });
    expect(found.map((f) => [f.rel, f.path])).toEqual([
      ['loose.bmp', join(dir, 'loose.bmp')],
      ['photos/b.jpg', join(dir, 'photos/b.jpg')],
      ['a.png', join(dir, 'other/a.png')],
      ['b.jpg', join(dir, 'other/b.jpg')],
      // A listed file that does not exist stays, to fail as unreadable while the run goes on.
      ['missing.jpg', join(dir, 'missing.jpg')],
    ]);
  });

  it('refuses a missing argument and two images that would write one output', async () => {
    await expect(expandInputs(['nope.jpg'], { cwd: dir })).rejects.toThrow(`input ${join(dir, 'nope.jpg')} does not exist`);
    await expect(expandInputs(['photos/b.jpg', 'other/b.jpg'], { cwd: dir })).rejects.toThrow(
      `1 pair(s) of inputs would write the same output: ${join(dir, 'photos/b.jpg')} and ${join(dir, 'other/b.jpg')} (both b.jpg)`,
    );
  });

  it('names outputs <out>/<rel>.png and splits off images whose labels exist', async () => {
    touch('photos/out/2024/c.tiff.png');
    // The output folder inside the input folder: its PNGs are no inputs.
    const plan = await planBatch(['photos'], { cwd: dir, out: 'photos/out', save: ['color'] });
    expect(plan.out).toBe(join(dir, 'photos/out'));
    expect(plan.skipped.map((p) => p.rel)).toEqual(['2024/c.tiff']);
    expect(plan.todo.map((p) => p.outputs)).toEqual([
      { labels: join(dir, 'photos/out/a.PNG.png'), color: join(dir, 'photos/out/a.PNG.color.png') },
      { labels: join(dir, 'photos/out/b.jpg.png'), color: join(dir, 'photos/out/b.jpg.color.png') },
    ]);
    const redo = await planBatch(['photos'], { cwd: dir, out: 'photos/out', redo: true });
    expect([redo.todo.length, redo.skipped.length]).toEqual([3, 0]);
  });
});
