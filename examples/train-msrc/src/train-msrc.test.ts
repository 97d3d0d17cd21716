import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@seg/deeplab';
import { generateSyntheticMsrc } from '@seg/msrc';
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
    expect(() => parseTrainMsrcArgs(['--data', '/d', '--backbone', 'vgg'])).toThrow(/--backbone.*resnet18, resnet34, resnet50, resnet101/);
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
    const y = model.predict(tf.zeros([1, 40, 40, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 40, 40, 22]);
    tf.dispose([y]);
    model.dispose();
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
    expect(html).toMatch(/finished at iteration 4/);
    expect(lines.some((l) => l.startsWith('report: ') && l.includes('report.html'))).toBe(true);
  });

  it('resumes from its checkpoint with --loadCheckpoint', async () => {
    const resumed: string[] = [];
    const result = await trainMsrc({ ...options, loadCheckpoint: true, iterations: 6 }, (l) => resumed.push(l));
    // Batches of 2 without remainder: the data position after 4 steps follows from the train split's size.
    const perEpoch = Math.floor(trainSize / 2);
    expect(resumed).toContain(
      `resumed from ${join(options.out, 'checkpoint')} at iteration 4 (epoch ${Math.floor(4 / perEpoch)}, batch ${4 % perEpoch})`,
    );
    expect(result.steps).toBe(6);
    expect(existsSync(join(options.out, 'images', '6_pred.png'))).toBe(true);
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
      /--loadCheckpoint: no checkpoint in .*empty.checkpoint; run once without --loadCheckpoint first/,
    );
    await expect(trainMsrc({ ...options, multiGPU: true }, quiet)).rejects.toThrow(/--multiGPU: .*CUDA_VISIBLE_DEVICES/);
  });
});
