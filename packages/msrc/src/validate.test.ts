import { appendFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli/program.js';
import { encodeBmp, openMsrc, validateMsrc } from './index.js';
import { generateSyntheticMsrc, type SyntheticMsrcResult } from './synthetic.js';

const OPTIONS = { count: 8, seed: 2, width: 40, height: 30, portraitFraction: 0, splitFractions: { train: 0.5, validation: 0.25 } };

function captureIo() {
  const io = {
    text: '',
    out(t: string) {
      io.text += t;
    },
    err(t: string) {
      io.text += t;
    },
  };
  return io;
}

describe('validateMsrc, openMsrc errors and the seg-msrc CLI', () => {
  let tmp: string;
  let good: string;
  let bad: string;
  let badSplits: SyntheticMsrcResult['splits'];
  const img = (id: string) => join(bad, 'Images', `${id}.bmp`);
  const gt = (id: string) => join(bad, 'GroundTruth', `${id}_GT.bmp`);

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'seg-msrc-check-'));
    good = join(tmp, 'good');
    bad = join(tmp, 'bad');
    await generateSyntheticMsrc(good, OPTIONS);
    ({ splits: badSplits } = await generateSyntheticMsrc(bad, OPTIONS));
    const [t0, t1, t2] = badSplits.train;
    const [v0] = badSplits.validation;
    const [s0, s1] = badSplits.test;
    await rm(img(t0));
    await rm(gt(t1));
    const unknown = encodeBmp({ data: new Uint8Array(40 * 30 * 3).fill(7), width: 40, height: 30 });
    await writeFile(gt(t2), unknown);
    await writeFile(img(v0), (await readFile(img(v0))).subarray(0, 500));
    await writeFile(img(s0), 'this is not a bitmap');
    const small = encodeBmp({ data: new Uint8Array(10 * 10 * 3), width: 10, height: 10 });
    await writeFile(gt(s1), small);
    await appendFile(join(bad, 'Test.txt'), `${t2}.bmp\n`);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('reports every problem at once, each naming its file', async () => {
    const report = await validateMsrc(bad);
    expect(report.ok).toBe(false);
    const [t0, t1, t2] = badSplits.train;
    const [v0] = badSplits.validation;
    const [s0, s1] = badSplits.test;
    const found = report.problems.map((p) => [p.kind, p.file]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['missing-image', img(t0)],
        ['missing-ground-truth', gt(t1)],
        ['unknown-color', gt(t2)],
        ['corrupt-file', img(v0)],
        ['corrupt-file', img(s0)],
        ['size-mismatch', gt(s1)],
        ['duplicate-id', join(bad, 'Test.txt')],
      ]),
    );
    expect(report.problems).toHaveLength(7);
    for (const p of report.problems) expect(p.message).toContain(p.kind === 'duplicate-id' ? 'Test.txt' : p.file);
    expect(report.problems.find((p) => p.kind === 'unknown-color')!.message).toMatch(/\[7, 7, 7\] first at pixel \(0, 0\)/);
    expect(report.problems.find((p) => p.kind === 'duplicate-id')!.message).toMatch(/already listed at .*Train\.txt:3/);
    expect(report.splitSizes).toEqual({ train: 4, validation: 2, test: 3 });
  });

  it('reports a missing split file and a folder without MSRC layout', async () => {
    const copy = join(tmp, 'nosplit');
    await generateSyntheticMsrc(copy, { ...OPTIONS, count: 4 });
    await rm(join(copy, 'Validation.txt'));
    const report = await validateMsrc(copy);
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-split-file']);
    expect(report.problems[0].message).toContain('Validation.txt not found');
    const ds = await openMsrc(copy);
    expect(ds.splitNames).toEqual(['train', 'test']);
    expect(() => ds.split('validation')).toThrow(/split file Validation\.txt was not found; available: train, test/);

    const empty = join(tmp, 'empty');
    await mkdir(join(empty, 'Images'), { recursive: true });
    const none = await validateMsrc(empty);
    expect(none.problems[0].kind).toBe('layout');
    expect(none.problems[0].message).toMatch(/found no folder with both Images\/ and GroundTruth\//);
    await expect(openMsrc(join(tmp, 'does-not-exist'))).rejects.toThrow(/does-not-exist does not exist or is empty/);
  });

  it('openMsrc fails fast listing missing files, and get() names unreadable files', async () => {
    await expect(openMsrc(bad)).rejects.toThrow(/2 file\(s\) listed in the splits are missing:[\s\S]*Images\/.*\.bmp \(listed at .*Train\.txt:1\)/);
    const copy = join(tmp, 'corrupt');
    const { splits } = await generateSyntheticMsrc(copy, OPTIONS);
    await writeFile(join(copy, 'Images', `${splits.validation[0]}.bmp`), 'not a bitmap');
    const small = encodeBmp({ data: new Uint8Array(10 * 10 * 3), width: 10, height: 10 });
    await writeFile(join(copy, 'GroundTruth', `${splits.test[0]}_GT.bmp`), small);
    const ds = await openMsrc(copy, { cache: true });
    await expect(ds.split('validation').get(0)).rejects.toThrow(`${join(copy, 'Images', `${splits.validation[0]}.bmp`)}: not a decodable image`);
    await expect(ds.split('test').get(0)).rejects.toThrow(/_GT\.bmp: ground truth is 10×10 but its image .* is 40×30/);
    await expect(ds.split('train').get(4)).rejects.toThrow(/MSRC split 'train': index 4 is outside 0..3/);
    const first = await ds.split('train').get(0);
    expect(await ds.split('train').get(0)).toBe(first);
  });

  it('reads split files from splitDir', async () => {
    const copy = join(tmp, 'splitdir');
    const lists = join(tmp, 'lists');
    const { splits } = await generateSyntheticMsrc(copy, OPTIONS);
    await mkdir(lists);
    for (const f of ['Train.txt', 'Validation.txt', 'Test.txt']) await rename(join(copy, f), join(lists, f));
    await expect(openMsrc(copy)).rejects.toThrow(/no split file .* pass \{ splitDir \}/);
    const ds = await openMsrc(copy, { splitDir: lists });
    expect([...ds.split('test').ids]).toEqual(splits.test);
    expect((await validateMsrc(copy, { splitDir: lists })).ok).toBe(true);
  });

  it('seg-msrc check exits 1 with the problem list on a broken copy and 0 on a good one', async () => {
    const io = captureIo();
    expect(await runCli(['check', bad], io)).toBe(1);
    expect(io.text).toContain('7 problem(s):');
    expect(io.text).toContain('[missing-image]');
    const ok = captureIo();
    expect(await runCli(['check', good], ok)).toBe(0);
    expect(ok.text).toContain('no problems found');
    const json = captureIo();
    expect(await runCli(['check', good, '--json'], json)).toBe(0);
    expect(JSON.parse(json.text).ok).toBe(true);
  });

  it.each(['Train.txt', 'Validation.txt', 'Test.txt'])('reports an empty %s and seg-msrc check exits 1', async (file) => {
    const dir = join(tmp, `empty-${file}`);
    await generateSyntheticMsrc(dir, { ...OPTIONS, count: 4 });
    await writeFile(join(dir, file), '\n# no entries\n');
    const report = await validateMsrc(dir);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'empty-split-file', file: join(dir, file), message: expect.stringContaining(`split file ${join(dir, file)} lists no images`) }),
    ]);
    const io = captureIo();
    expect(await runCli(['check', dir], io)).toBe(1);
    expect(io.text).toContain(`[empty-split-file] split file ${join(dir, file)} lists no images`);
  });

  it('seg-msrc synth --count 2 writes no empty split file, and check reports the split missing', async () => {
    const dir = join(tmp, 'two');
    const io = captureIo();
    expect(await runCli(['synth', dir, '--count', '2', '--width', '24', '--height', '16'], io)).toBe(0);
    expect(io.text).toMatch(/no (Train|Validation|Test)\.txt written: too few images for every split; use --count 3 or more/);
    const report = await validateMsrc(dir);
    const written = ['Train.txt', 'Validation.txt', 'Test.txt'].filter((f) => report.problems.every((p) => p.file !== f));
    // Every split file that exists lists at least one image; the missing one is a problem.
    for (const f of written) expect((await readFile(join(dir, f), 'utf8')).trim()).not.toBe('');
    expect(report.problems.map((p) => p.kind)).toEqual(['missing-split-file']);
    expect(await runCli(['check', dir], captureIo())).toBe(1);
  });

  it('seg-msrc synth writes a dataset that checks clean; bad options exit non-zero', async () => {
    const dir = join(tmp, 'cli-synth');
    const io = captureIo();
    expect(await runCli(['synth', dir, '--count', '3', '--width', '24', '--height', '16', '--seed', '9'], io)).toBe(0);
    expect(io.text).toMatch(/wrote 3 images to .*cli-synth/);
    expect((await validateMsrc(dir)).ok).toBe(true);
    const badIo = captureIo();
    expect(await runCli(['synth', dir, '--count', 'many'], badIo)).not.toBe(0);
    expect(badIo.text).toContain('--count must be an integer, got "many"');
  });
});
