import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getModelClasses } from '@seg/deeplab';
import { loadModel } from '@seg/core';
import { generateSyntheticMsrc, MSRC_CLASSES } from '@seg/msrc';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainMsrcArgs } from './args.js';
import { DEFAULT_TRAIN_MSRC_OPTIONS, type TrainMsrcOptions } from './options.js';
import { resolveRunConfig, runConfigJson } from './run-config.js';
import { trainMsrc } from './train-msrc.js';

describe('train-msrc command line', () => {
  it('takes the reference run flags under their original names', () => {
    const o = parseTrainMsrcArgs([
      '--data', '/d', '--loadCheckpoint', '--saveFreq', '100', '--valImages', '5', '--logFreq', '25',
      '--weightDecay', '0.001', '--trainTrunk', '--outputStride', '16',
    ]);
    expect(o).toMatchObject({
      data: '/d', loadCheckpoint: true, multiGPU: false, saveFreq: 100, valImages: 5, logFreq: 25,
      weightDecay: 0.001, trainTrunk: true, outputStride: 16, backbone: 'resnet101',
    });
    expect(parseTrainMsrcArgs(['--data', '/d'])).toMatchObject({ saveFreq: null, outputStride: 8, trainTrunk: false, valImages: 10, logFreq: 50 });
  });

  it('rejects malformed values, naming the flag', () => {
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--logFreq', 'often'])).toThrow(/--logFreq.*expected an integer, got "often"/);
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--backbone', 'vgg'])).toThrow(/--backbone.*resnet18, resnet34, resnet50, resnet101, mobilenet_v3_large/);
  });
});

describe('trainMsrc on a synthetic MSRC copy', () => {
  let dir: string;
  let options: TrainMsrcOptions;
  let trainSize: number;
  let testSize: number;
  const lines: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seg-train-msrc-'));
    const data = await generateSyntheticMsrc(join(dir, 'data'), { count: 12, seed: 3, width: 64, height: 43 });
    trainSize = data.splits.train.length;
    testSize = data.splits.test.length;
    options = {
      ...DEFAULT_TRAIN_MSRC_OPTIONS,
      data: data.root,
      out: join(dir, 'run'),
      backbone: 'resnet18',
      backboneOptions: { baseWidth: 8 },
      decoderChannels: 16,
      outputStride: 16,
      trainTrunk: true,
      iterations: 4,
      batchSize: 2,
      cropSize: 48,
      logFreq: 2,
      valImages: 2,
      backend: 'wasm',
      // One thread: the replicas' own test is in @seg/core.
      workers: 1,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains, validates, checkpoints, saves the model and scores the test split', async () => {
    const result = await trainMsrc(options, (l) => lines.push(l));
    expect(result.steps).toBe(4);
    expect(lines.filter((l) => l.startsWith('Iteration: '))).toHaveLength(2);
    expect(lines.some((l) => /^Saved model @iteration [24] with accuracy/.test(l))).toBe(true);
    const metrics = JSON.parse(readFileSync(join(options.out, 'metrics.json'), 'utf8'));
    expect(metrics.test.pixelAccuracy).toBeGreaterThanOrEqual(0);
    expect(metrics.test.voidExcluded.meanIoU).toBeLessThanOrEqual(1);
    expect(readdirSync(join(options.out, 'images')).sort()).toEqual(
      ['2_gt.png', '2_img.png', '2_pred.png', '4_gt.png', '4_img.png', '4_pred.png'],
    );
    const model = await loadModel(join(options.out, 'model'));
    // The saved model names MSRC's classes and their colours, for seg-deeplab's summaries and palettes.
    expect(getModelClasses(model)).toEqual(MSRC_CLASSES.map((c) => ({ name: c.name, color: [...c.rgb] })));
    const y = model.predict(tf.zeros([1, 40, 40, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 40, 40, 22]);
    tf.dispose([y]);
    model.dispose();
  });

  /** The bytes of every file of a run's checkpoint and best model: what must survive a refused or failed run. */
  const snapshot = (out: string) =>
    ['checkpoint', 'best-model'].flatMap((d) => readdirSync(join(out, d)).map((f) => `${d}/${f}:${readFileSync(join(out, d, f)).toString('base64')}`));

  it('refuses to start again on a folder holding a checkpoint without --loadCheckpoint or --overwrite, changing nothing', async () => {
    const before = snapshot(options.out);
    await expect(trainMsrc(options, () => {})).rejects.toThrow(
      `${options.out} holds the checkpoint of an earlier run (iteration 4, in ${join(options.out, 'checkpoint')}); pass --loadCheckpoint to continue it, or --overwrite to discard it and start again`,
    );
    expect(snapshot(options.out)).toEqual(before);
    expect(existsSync(join(options.out, 'run.lock'))).toBe(false);
  });

  it('refuses a resume with changed options, naming them, unless --allowConfigChange lists them (a raised --iterations is no change)', async () => {
    const before = snapshot(options.out);
    await expect(trainMsrc({ ...options, loadCheckpoint: true, iterations: 6, seed: 1, weightDecay: 0.01 }, () => {})).rejects.toThrow(
      /--loadCheckpoint: .*checkpoint was written with other options \(--seed 0 → 1, --weightDecay 0\.0005 → 0\.01\); pass the same values, or --allowConfigChange seed,weightDecay/,
    );
    expect(snapshot(options.out)).toEqual(before);
  });

  it('writes config.json (the resolved configuration), log.jsonl (every step and validation) and report.html', async () => {
    const out = options.out;
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(runConfigJson(await resolveRunConfig(options)));
    const records = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.filter((r) => r.type === 'step').map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(records.filter((r) => r.type === 'step').every((r) => Number.isFinite(r.loss))).toBe(true);
    expect(records.filter((r) => r.type === 'validation').map((r) => r.step)).toEqual([2, 4]);
    expect(records.at(-1)).toMatchObject({ type: 'end', step: 4, reason: 'finished' });
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(records.find((r) => r.type === 'test')).toMatchObject({ pixelAccuracy: metrics.test.pixelAccuracy, meanIoU: metrics.test.meanIoU });

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    // Plots, the test triptychs (input, truth, prediction per image) and nothing from a network.
    expect(refs.filter((r) => r.endsWith('.svg')).sort()).toEqual(['report/confusion.svg', 'report/loss.svg', 'report/scores.svg']);
    const triptychs = refs.filter((r) => /^report\/test-.*-(img|gt|pred)\.png$/.test(r));
    expect(triptychs).toHaveLength(3 * Math.min(5, testSize));
    for (const ref of refs) {
      expect(ref).not.toMatch(/^[a-z]+:|^\/\//);
      expect(existsSync(join(out, ref)), ref).toBe(true);
    }
    for (const svg of refs.filter((r) => r.endsWith('.svg'))) expect(readFileSync(join(out, svg), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    // The page states the test scores metrics.json holds, void excluded, as percentages.
    expect(html).toContain(`${(100 * metrics.test.voidExcluded.pixelAccuracy).toFixed(1)}%`);
    expect(html).toContain(`${(100 * metrics.test.voidExcluded.meanIoU).toFixed(1)}%`);
    // The per-class table (void excluded) and the new summary scores, in metrics.json and on the page.
    const names = MSRC_CLASSES.filter((c) => c.name !== 'void').map((c) => c.name);
    expect(Object.keys(metrics.test.perClass)).toEqual(names);
    for (const [name, row] of Object.entries<Record<string, number | null>>(metrics.test.perClass)) {
      expect(Object.keys(row).sort()).toEqual(['boundaryF1', 'f1', 'iou', 'pixelShare', 'pixels', 'precision', 'recall']);
      expect(row.iou).toBe(metrics.test.perClassIoU[name] ?? null);
      // F1 (Dice) = 2·IoU / (1 + IoU) wherever IoU is defined.
      if (row.iou !== null) expect(row.f1).toBeCloseTo((2 * row.iou) / (1 + row.iou), 12);
    }
    const shares = Object.values<{ pixelShare: number }>(metrics.test.perClass).reduce((a, r) => a + r.pixelShare, 0);
    expect(shares).toBeCloseTo(1, 12);
    for (const view of [metrics.test, metrics.test.voidExcluded]) {
      expect(view.frequencyWeightedIoU).toBeGreaterThanOrEqual(0);
      expect(view.frequencyWeightedIoU).toBeLessThanOrEqual(1);
      expect(view.meanF1).toBeGreaterThanOrEqual(view.meanIoU);
      expect(view.boundaryF1 === null || (view.boundaryF1 >= 0 && view.boundaryF1 <= 1)).toBe(true);
    }
    expect(html).toContain('<th>boundary F1</th>');
    expect(html).toContain(`${(100 * metrics.test.voidExcluded.frequencyWeightedIoU).toFixed(1)}%`);
    for (const name of names) expect(html).toContain(`<tr><th>${name}</th>`);
    expect(html).toMatch(/finished at iteration 4/);
    expect(lines.some((l) => l.startsWith('report: ') && l.includes('report.html'))).toBe(true);
  });

  it('resumes from its checkpoint with --loadCheckpoint', async () => {
    const resumed: string[] = [];
    // Training longer: the step budget is not part of the run's identity.
    const result = await trainMsrc({ ...options, loadCheckpoint: true, iterations: 6 }, (l) => resumed.push(l));
    // Batches of 2 without remainder: the data position after 4 steps follows from the train split's size.
    const perEpoch = Math.floor(trainSize / 2);
    expect(resumed).toContain(
      `resumed from ${join(options.out, 'checkpoint')} at iteration 4 (epoch ${Math.floor(4 / perEpoch)}, batch ${4 % perEpoch})`,
    );
    expect(result.steps).toBe(6);
    expect(existsSync(join(options.out, 'images', '6_pred.png'))).toBe(true);
  });

  // Four short runs of the full pipeline (validation, checkpoints, test split): minutes on a loaded machine.
  it('the same --seed gives the same run; a run that died mid-way, resumed, ends bit-equal to it and logs each step once', { timeout: 600_000 }, async () => {
    const checkpointBytes = (out: string) => ['weights.safetensors', 'optimizers.safetensors'].map((f) => readFileSync(join(out, 'checkpoint', f)));
    const records = (out: string) => readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const straight = { ...options, out: join(dir, 'seed-straight'), seed: 4, iterations: 3, logFreq: 1 };
    await trainMsrc(straight, () => {});
    await trainMsrc({ ...straight, out: join(dir, 'seed-again') }, () => {});
    // Initial weights, dropout masks (the preset's ASPP dropout) and batches: all from the seed (core's tests show that another seed differs).
    expect(checkpointBytes(join(dir, 'seed-again'))).toEqual(checkpointBytes(straight.out));

    // The first attempt dies at the validation of iteration 2, after logging step 2 but before its checkpoint.
    const died = { ...straight, out: join(dir, 'seed-died') };
    const killed = (l: string) => {
      if (l.startsWith('Iteration: 2,')) throw new Error('killed');
    };
    await expect(trainMsrc(died, killed)).rejects.toThrow('killed');
    expect(JSON.parse(readFileSync(join(died.out, 'checkpoint', 'state.json'), 'utf8')).sections.trainer.step).toBe(1);
    expect(records(died.out).filter((r) => r.type === 'step').map((r) => r.step)).toEqual([1, 2]);
    await trainMsrc({ ...died, loadCheckpoint: true }, () => {});
    expect(checkpointBytes(died.out)).toEqual(checkpointBytes(straight.out));
    const log = records(died.out);
    expect(log.filter((r) => r.type === 'step').map((r) => r.step)).toEqual([1, 2, 3]);
    expect(log.filter((r) => r.type === 'validation').map((r) => r.step)).toEqual([1, 2, 3]);
    // The attempts stay visible: where each started, and how the first ended.
    expect(log.filter((r) => r.type === 'start' || r.type === 'end').map((r) => [r.type, r.step, r.reason])).toEqual([
      ['start', 0, undefined],
      ['end', 2, 'failed'],
      ['start', 1, undefined],
      ['end', 3, 'finished'],
    ]);
    // The resumed steps are the uninterrupted run's, loss for loss.
    const losses = (out: string) => records(out).filter((r) => r.type === 'step').map((r) => r.loss);
    expect(losses(died.out)).toEqual(losses(straight.out));
  });

  it('stops at once on a non-finite loss (learning rates of 1e30), keeping the last good checkpoint and best model', async () => {
    const out = join(dir, 'exploding');
    cpSync(options.out, out, { recursive: true });
    const before = snapshot(out);
    const argv = ['--data', options.data, '--out', out, '--loadCheckpoint', '--iterations', '12', '--logFreq', '2', '--batchSize', '2',
      '--cropSize', '48', '--valImages', '2', '--backbone', 'resnet18', '--outputStride', '16', '--trainTrunk', '--backend', 'wasm',
      '--learningRateTrunk', '1e30', '--learningRateAspp', '1e30', '--learningRateDecoder', '1e30',
      '--allowConfigChange', 'iterations,learningRateTrunk,learningRateAspp,learningRateDecoder'];
    const parsed = { ...parseTrainMsrcArgs(argv), backboneOptions: options.backboneOptions, decoderChannels: options.decoderChannels };
    const lines: string[] = [];
    const error = (await trainMsrc(parsed, (l) => lines.push(l)).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    // Resumed at 6: the first update with learning rate 1e30 is finite, the next forward pass is not.
    expect(error.message).toMatch(/^Trainer: training stopped at iteration (7|8): the (loss is (NaN|Infinity)|gradients hold NaN or Infinity)/);
    expect(lines.filter((l) => l.startsWith('Saved model'))).toEqual([]);
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  });

  it('huge but finite decoder weights (--learningRateDecoder 1e30 --logFreq 1) are neither the best model nor a checkpoint', async () => {
    const out = join(dir, 'huge-decoder');
    const lines: string[] = [];
    const error = (await trainMsrc({ ...options, out, learningRateDecoder: 1e30, logFreq: 1, iterations: 3 }, (l) => lines.push(l)).catch((e: Error) => e)) as Error;
    // The first update is finite; the validation after it scores a non-finite loss (pixel accuracy stays a finite number).
    expect(error.message).toMatch(/^Trainer: training stopped at iteration 1: the evaluation of its weights scored loss (NaN|Infinity)\. Nothing was saved from this iteration on/);
    expect(error.message).toContain('No checkpoint was written before it.');
    expect(lines.filter((l) => l.startsWith('Saved model'))).toEqual([]);
    expect(readdirSync(out).filter((f) => ['checkpoint', 'best-model', 'model', 'metrics.json'].includes(f))).toEqual([]);
  });

  it('the command line exits 1 naming the iteration when learning rates of 1e30 blow the loss up, saving nothing', async () => {
    const out = join(dir, 'cli-exploding');
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    // The real command, run from the sources (tsx maps @seg/* through tsconfig.tests.json), with a full-width ResNet-18 on tiny crops.
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--data', options.data, '--out', out, '--backbone', 'resnet18', '--outputStride', '16',
        '--cropSize', '32', '--batchSize', '2', '--iterations', '4', '--logFreq', '2', '--valImages', '1', '--backend', 'wasm',
        '--trainTrunk', '--learningRateTrunk', '1e30', '--learningRateAspp', '1e30', '--learningRateDecoder', '1e30'],
      { cwd: join(root, 'examples', 'train-msrc'), env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.tests.json') }, encoding: 'utf8' },
    );
    expect(r.stderr).toMatch(/^train-msrc: Trainer: training stopped at iteration 2: the loss is NaN\. Its update was not applied/m);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(/Saved model/);
    // The run's description (config, log, report) is written; no model and no checkpoint.
    expect(readdirSync(out).filter((f) => ['checkpoint', 'best-model', 'model', 'metrics.json'].includes(f))).toEqual([]);
  });

  it('the command line on a bad --data prints one error line, no tfjs banner, no Dawn probe noise, and writes nothing', () => {
    const out = join(dir, 'cli-bad-data');
    const missing = join(dir, 'no-such-msrc');
    // The default backend order: Dawn is asked for WebGPU adapters (on this machine it prints to stderr while looking).
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--data', missing, '--out', out, '--backbone', 'resnet18', '--trainTrunk', '--iterations', '2'],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../../tsconfig.tests.json', import.meta.url)) }, encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`train-msrc: MSRC root ${missing} does not exist or is empty\n`);
    expect(r.stdout).toMatch(/^backend: \w+ on [^\n]*\n$/);
    // Not even the folder the run lock made: a run that never started leaves nothing.
    expect(existsSync(out)).toBe(false);
  });

  it('--overwrite starts afresh in a finished run\'s folder, removing what runs wrote and nothing else', async () => {
    const out = join(dir, 'again');
    cpSync(options.out, out, { recursive: true });
    // The user's own files, in the run folder and among the run's snapshots and plots.
    writeFileSync(join(out, 'notes.txt'), 'mine');
    writeFileSync(join(out, 'images', 'photo.jpg'), 'mine');
    writeFileSync(join(out, 'report', 'notes.txt'), 'mine');
    const lines: string[] = [];
    const result = await trainMsrc({ ...options, out, overwrite: true, iterations: 2 }, (l) => lines.push(l));
    expect(lines.find((l) => l.startsWith('--overwrite:'))).toMatch(new RegExp(`^--overwrite: removed what earlier runs wrote in ${out} \\(\\d+ outputs: `));
    expect(result.steps).toBe(2);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(['2_gt.png', '2_img.png', '2_pred.png', 'photo.jpg']);
    expect(readFileSync(join(out, 'report', 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(out).sort()).toEqual([
      'best-model', 'checkpoint', 'config.json', 'images', 'log.jsonl', 'metrics.json', 'model', 'notes.txt', 'report', 'report.html', 'run-outputs.json',
    ]);
  });

  it('refuses, before training, to write over files no run wrote: a user\'s config.json or model/, with or without --overwrite', async () => {
    for (const [name, make] of [
      ['config.json', (p: string) => writeFileSync(p, '{"mine": true}')],
      [
        'model/',
        (p: string) => {
          mkdirSync(p);
          writeFileSync(join(p, 'model.json'), '{}');
        },
      ],
      [
        'images/4_img.png',
        (p: string) => {
          mkdirSync(join(p, '..'), { recursive: true });
          writeFileSync(p, 'mine');
        },
      ],
    ] as const) {
      for (const overwrite of [false, true]) {
        const out = join(dir, `foreign-${name.replace(/\W/g, '')}-${overwrite}`);
        mkdirSync(out, { recursive: true });
        make(join(out, name));
        const lines: string[] = [];
        await expect(trainMsrc({ ...options, out, overwrite }, (l) => lines.push(l))).rejects.toThrow(
          `${out} holds ${name}, which no train-msrc run wrote (run-outputs.json does not list it), and this run would write over it; move them elsewhere or choose another --out`,
        );
        expect(lines.some((l) => l.startsWith('Iteration'))).toBe(false);
        expect(existsSync(join(out, name))).toBe(true);
        expect(existsSync(join(out, 'run.lock'))).toBe(false);
      }
    }
  });

  it('refuses a second run on a folder in use, naming the holder; the one holding it finishes undisturbed', async () => {
    const out = join(dir, 'shared');
    const seeds = [0, 5];
    const runs = await Promise.allSettled(seeds.map((seed) => trainMsrc({ ...options, out, seed }, () => {})));
    expect(runs.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = runs.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.message).toContain(`${join(out, 'run.lock')}: the folder is in use by process ${process.pid}`);
    // Whichever took the lock first (both start at once), its checkpoint is the one written.
    const winner = seeds[runs.findIndex((r) => r.status === 'fulfilled')];
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')).config.seed).toBe(winner);
  });

  it.each(['Train.txt', 'Validation.txt', 'Test.txt'])('refuses an empty %s before the first step, naming it', async (file) => {
    const data = join(dir, `empty-${file}`);
    cpSync(options.data, data, { recursive: true });
    writeFileSync(join(data, file), '');
    const lines: string[] = [];
    await expect(trainMsrc({ ...options, data, out: join(dir, `run-empty-${file}`) }, (l) => lines.push(l))).rejects.toThrow(
      `${join(data, file)}: the ${file.replace('.txt', '').toLowerCase()} split lists no images`,
    );
    expect(lines.some((l) => l.startsWith('Iteration'))).toBe(false);
    expect(existsSync(join(dir, `run-empty-${file}`, 'checkpoint'))).toBe(false);
  });

  it('Ctrl-C writes the report and ends log.jsonl, then exits 130', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./cli.ts', import.meta.url)), '--data', options.data, '--out', out, '--backend', 'wasm',
        '--backbone', 'resnet18', '--outputStride', '16', '--trainTrunk', '--iterations', '1000', '--batchSize', '2', '--cropSize', '48',
        '--logFreq', '2', '--valImages', '2'],
      { env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../../tsconfig.tests.json', import.meta.url)) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // The first validation writes the report; interrupt after it, mid-run.
    const deadline = Date.now() + 60_000;
    while (!stdout.includes('Iteration: 2,') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stdout).toContain('Iteration: 2,');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/interrupted at iteration \d+; writing .*report\.html/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/interrupted at iteration \d+/);
    const records = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.at(-1)).toMatchObject({ type: 'end', reason: 'interrupted' });
    expect(records.filter((r) => r.type === 'validation').length).toBeGreaterThanOrEqual(1);
  });

  it('says what to do when resuming without a checkpoint or asking for several GPUs', async () => {
    const quiet = () => {};
    await expect(trainMsrc({ ...options, out: join(dir, 'empty'), loadCheckpoint: true }, quiet)).rejects.toThrow(
      /--loadCheckpoint: no checkpoint in .*empty.checkpoint; leave out --loadCheckpoint to start a new run there/,
    );
    // A checkpoint folder without its state.json: resuming is impossible, and starting afresh must be asked for.
    const broken = join(dir, 'broken');
    cpSync(options.out, broken, { recursive: true });
    rmSync(join(broken, 'checkpoint', 'state.json'));
    await expect(trainMsrc({ ...options, out: broken, loadCheckpoint: true }, quiet)).rejects.toThrow(
      new RegExp(`^checkpoint ${join(broken, 'checkpoint')} holds .*weights\\.safetensors.* but no state\\.json, so it cannot be resumed`),
    );
    await expect(trainMsrc({ ...options, out: broken }, quiet)).rejects.toThrow(/holds the checkpoint of an earlier run .*pass --loadCheckpoint to continue it, or --overwrite/);
    await expect(trainMsrc({ ...options, out: join(dir, 'gpus'), workers: null, multiGPU: true }, quiet)).rejects.toThrow(
      '--multiGPU: needs at least two GPUs, found none (the wasm backend, which computes on the CPU)',
    );
  });
});
