import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'seg-inputs-')));
    symlinkSync(join(dir, 'photos'), join(dir, 'photos-link'));
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
      // A listed file that does not exist stays, to fail alone while the run goes on.
      ['missing.jpg', join(dir, 'missing.jpg')],
    ]);
    expect(found.map((f) => f.refused)).toEqual([undefined, undefined, undefined, undefined, 'it does not exist']);
  });

  it('refuses a missing argument and an output folder that is or holds an input folder', async () => {
    await expect(expandInputs(['nope.jpg'], { cwd: dir })).rejects.toThrow(`input ${join(dir, 'nope.jpg')} does not exist`);
    await expect(expandInputs(['photos'], { cwd: dir, exclude: 'photos' })).rejects.toThrow(
      `the output folder ${join(dir, 'photos')} is the input folder ${join(dir, 'photos')}: every run would take the outputs of the run before as new images`,
    );
    await expect(expandInputs(['photos/2024'], { cwd: dir, exclude: '.' })).rejects.toThrow(`the output folder ${dir} holds the input folder ${join(dir, 'photos/2024')}`);
    // Reached through a link, the same folder is refused too.
    await expect(expandInputs(['photos'], { cwd: dir, exclude: 'photos-link' })).rejects.toThrow(`the output folder ${join(dir, 'photos-link')} is the input folder`);
  });

  it('follows a link to a file only inside the folder searched; a dangling, looping or outward link and a FIFO are refused alone', async () => {
    const links = join(dir, 'links');
    mkdirSync(join(links, 'sub'), { recursive: true });
    writeFileSync(join(links, 'sub/real.png'), 'x');
    writeFileSync(join(dir, 'secret.png'), 'x');
    symlinkSync('sub/real.png', join(links, 'inside.png'));
    symlinkSync('nowhere.png', join(links, 'dangling.png'));
    symlinkSync('loop.png', join(links, 'loop.png'));
    symlinkSync('../secret.png', join(links, 'outside.png'));
    // A link to a folder is skipped, whatever its name.
    symlinkSync('sub', join(links, 'folder.png'));
    symlinkSync('../photos', join(links, 'photos'));
    execFileSync('mkfifo', [join(links, 'pipe.png')]);
    const found = await expandInputs(['links'], { cwd: dir });
    expect(found).toEqual([
      { path: join(links, 'dangling.png'), rel: 'dangling.png', refused: 'it is a symbolic link to nowhere.png, which does not exist' },
      // Outputs keep the link's name; the file read is the one it leads to.
      { path: join(links, 'sub/real.png'), rel: 'inside.png' },
      { path: join(links, 'loop.png'), rel: 'loop.png', refused: 'it is a symbolic link that loops (ELOOP)' },
      {
        path: join(links, 'outside.png'),
        rel: 'outside.png',
        refused: `it is a symbolic link to ${join(dir, 'secret.png')}, outside the input folder ${links}; links are followed only within the folder searched: name the file itself (or list it in an @list.txt) to segment it`,
      },
      { path: join(links, 'pipe.png'), rel: 'pipe.png', refused: 'it is not a regular file (a FIFO, socket or device)' },
    ]);
    // Named directly or in a list, a file is taken as given: the link is followed; a FIFO in a list fails alone.
    writeFileSync(join(dir, 'links.txt'), 'links/outside.png\nlinks/pipe.png\nlinks/loop.png\n');
    expect(await expandInputs(['@links.txt'], { cwd: dir })).toEqual([
      { path: join(links, 'outside.png'), rel: 'links/outside.png' },
      { path: join(links, 'pipe.png'), rel: 'links/pipe.png', refused: 'it is not a regular file (a FIFO, socket or device)' },
      { path: join(links, 'loop.png'), rel: 'links/loop.png', refused: 'it is a symbolic link that loops (ELOOP)' },
    ]);
    await expect(expandInputs(['links/loop.png'], { cwd: dir })).rejects.toThrow(`input ${join(links, 'loop.png')} cannot be read: it is a symbolic link that loops (ELOOP)`);
    await expect(expandInputs(['links/pipe.png'], { cwd: dir })).rejects.toThrow(`input ${join(links, 'pipe.png')} is neither a file nor a folder`);
    rmSync(links, { recursive: true });
  });

  it('refuses, naming each, every output that would overwrite another, need a file as its folder, or overwrite an input', async () => {
    touch('clash/p');
    touch('clash/p.color');
    touch('clash/x.png');
    touch('clash/x.png.png/y.jpg');
    const o = join(dir, 'o');
    touch('o/old.png');
    mkdirSync(join(o, 'b.jpg.png'), { recursive: true });
    const inputs = ['clash', 'clash/p', 'clash/p.color', 'photos/b.jpg', 'other/b.jpg', 'o/old.png', 'old'];
    touch('old');
    const error = await planBatch(inputs, { cwd: dir, out: 'o', save: ['color'] }).then(
      () => new Error('no error'),
      (e: Error) => e,
    );
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('6 output clash(es), so nothing was segmented:');
    expect(lines.slice(1, -1).sort()).toEqual(
      [
        `${o}/p.color.png would be both the color output of ${join(dir, 'clash/p')} and the labels output of ${join(dir, 'clash/p.color')}`,
        `${o}/b.jpg.png would be both the labels output of ${join(dir, 'photos/b.jpg')} and the labels output of ${join(dir, 'other/b.jpg')}`,
        `${o}/b.jpg.color.png would be both the color output of ${join(dir, 'photos/b.jpg')} and the color output of ${join(dir, 'other/b.jpg')}`,
        `${o}/x.png.png would be both the labels output of ${join(dir, 'clash/x.png')} and a folder holding the outputs of ${join(dir, 'clash/x.png.png/y.jpg')}`,
        `${join(dir, 'o/old.png')} is an input image and would be overwritten as the labels output of ${join(dir, 'old')}`,
        `${o}/b.jpg.png is a folder on disk, where the labels output of ${join(dir, 'photos/b.jpg')} goes`,
      ].map((l) => `  ${l}`).sort(),
    );
    expect(lines.at(-1)).toMatch(/^Pass the images' common parent folder instead of the files/);
    rmSync(join(dir, 'clash'), { recursive: true });
    rmSync(o, { recursive: true });
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
