/**
 * `seg-deeplab segment` on hostile collections (issue 24, items 8 to 12), run
 * as a user runs it: the built command (run `pnpm build` first) in a child
 * process, which is killed if it outlives its timeout, so a regression to a
 * hang fails the test instead of hanging it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transformer } from '@napi-rs/image';
import { SeededRng } from '@seg/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { spawnNode } from '../../../../test-utils/child-process.js';
import type { BatchSummary } from '../batch/summary.js';
import { saveModel } from '../model/model-files.js';
import { runCli } from './program.js';

const BIN = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));
/** Far above a run of a few small images (about 5 s here), far below a test runner's patience. */
const CLI_TIMEOUT_MS = 60_000;

/** Runs the built command; resolves with its exit code (`'SIGKILL'` when it had to be killed), output and summary. */
async function segment(...args: string[]) {
  const cli = spawnNode([BIN, 'segment', ...args, '--workers', '1', '--attempts', '1'], { timeoutMs: CLI_TIMEOUT_MS });
  const code = await cli.exited;
  return { code, lines: cli.lines, stdout: cli.stdout() };
}

/** `seg-deeplab segment …` in this process, for refusals before any worker starts. */
async function refused(...argv: string[]) {
  let err = '';
  const code = await runCli(['segment', ...argv], { out: () => {}, err: (t) => (err += t), progress: { isTTY: false, write: () => {} } });
  return { code, err };
}

const summaryOf = (out: string) => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BatchSummary;

describe('seg-deeplab segment on hostile inputs', () => {
  let dir: string;
  let jpeg: Uint8Array;
  const model = () => join(dir, 'model');

  beforeAll(async () => {
    await useBackend('wasm');
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'seg-hostile-')));
    const input = tfl.input({ shape: [null, null, 3] });
    const m = tfl.model({ inputs: input, outputs: tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor });
    await saveModel(m, model());
    m.dispose();
    const rng = new SeededRng(3);
    const rgba = new Uint8Array(48 * 40 * 4).map((_, i) => (i % 4 === 3 ? 255 : rng.int(256)));
    const image = Transformer.fromRgbaPixels(rgba, 48, 40);
    jpeg = await image.jpeg(90);
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in/ok.png'), await image.png());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails a dangling link, a looping link and a JPEG cut in half alone, by name, and a rerun finds the same images (item 8, 9, 10)', async () => {
    const folder = join(dir, 'in');
    symlinkSync('nowhere.jpg', join(folder, 'dangling.jpg'));
    symlinkSync('loop.jpg', join(folder, 'loop.jpg'));
    writeFileSync(join(folder, 'half.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    // The output folder inside the input folder is never searched: the second run must not take the first run's outputs as images.
    const out = join(folder, 'labels');
    const first = await segment(model(), folder, '--out', out, '--backend', 'wasm');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^segmented 1, skipped 0, failed 3 of 4 images/);
    expect(summaryOf(out).failures).toEqual([
      { input: join(folder, 'dangling.jpg'), error: `ImageReadError: ${join(folder, 'dangling.jpg')}: it is a symbolic link to nowhere.jpg, which does not exist`, attempts: 0 },
      { input: join(folder, 'loop.jpg'), error: `ImageReadError: ${join(folder, 'loop.jpg')}: it is a symbolic link that loops (ELOOP)`, attempts: 0 },
      {
        input: join(folder, 'half.jpg'),
        error: expect.stringMatching(new RegExp(`^ImageReadError: ${join(folder, 'half.jpg')}: the JPEG data ends at byte ${jpeg.length >> 1} .*: the file is truncated$`)),
        attempts: 1,
      },
    ]);
    expect(existsSync(join(out, 'half.jpg.png'))).toBe(false);
    const second = await segment(model(), folder, '--out', out, '--backend', 'wasm');
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/^segmented 0, skipped 1, failed 3 of 4 images/);
  });

  it('refuses an output folder that is or holds an input folder, before writing anything (item 10)', async () => {
    const folder = join(dir, 'in');
    for (const out of [folder, dir]) {
      const { code, err } = await refused(model(), folder, '--out', out);
      expect(code).toBe(2);
      expect(err).toBe(
        `seg-deeplab: the output folder ${out} ${out === folder ? 'is' : 'holds'} the input folder ${folder}: every run would take the outputs of the run before as new images. ` +
          'Choose an output folder outside the input folders (a folder inside an input folder is fine: it is never searched)\n',
      );
    }
    expect(existsSync(join(folder, 'summary.json'))).toBe(false);
  });

  it('refuses outputs that clash, naming every clash, before anything runs (item 11)', async () => {
    const folder = join(dir, 'clash');
    mkdirSync(join(folder, 'x.png.png'), { recursive: true });
    const png = readFileSync(join(dir, 'in/ok.png'));
    for (const name of ['p', 'p.color', 'x.png', 'x.png.png/y.png']) writeFileSync(join(folder, name), png);
    const out = join(dir, 'clash-out');
    const { code, err } = await refused(model(), folder, join(folder, 'p'), join(folder, 'p.color'), '--out', out, '--save', 'color');
    expect(code).toBe(2);
    expect(err.split('\n')).toEqual([
      'seg-deeplab: 2 output clash(es), so nothing was segmented:',
      `  ${out}/p.color.png would be both the color output of ${join(folder, 'p')} and the labels output of ${join(folder, 'p.color')}`,
      `  ${out}/x.png.png would be both the labels output of ${join(folder, 'x.png')} and a folder holding the outputs of ${join(folder, 'x.png.png/y.png')}`,
      "Pass the images' common parent folder instead of the files, rename one image of each pair, or segment them into different output folders",
      '',
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a FIFO as the model (model.json, a folder holding one, an .onnx file) by name instead of hanging (item 12)', async () => {
    const fifos = join(dir, 'fifos');
    mkdirSync(join(fifos, 'folder'), { recursive: true });
    for (const f of ['folder/model.json', 'model.json', 'model.onnx']) execFileSync('mkfifo', [join(fifos, f)]);
    const image = join(dir, 'in/ok.png');
    for (const [target, file] of [
      [join(fifos, 'folder'), join(fifos, 'folder/model.json')],
      [join(fifos, 'model.json'), join(fifos, 'model.json')],
      [join(fifos, 'model.onnx'), join(fifos, 'model.onnx')],
    ]) {
      const out = join(dir, `fifo-out-${target.split('/').at(-1)}`);
      const run = await segment(target, image, '--out', out);
      expect(run.code, run.lines.join('\n')).toBe(1);
      const [failure] = summaryOf(out).failures;
      expect(failure.error).toMatch(new RegExp(`^ModelLoadError: cannot load model ${target}: .*${file}.*it is not a regular file \\(a FIFO, socket or device\\)`));
    }
  });
});
